package latchapp

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/latchapp/latch/internal/app/sandboxhost"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
)

func TestOpenStartsNoSandboxUntilTheProviderIsNeeded(t *testing.T) {
	slog.SetDefault(slog.New(slog.DiscardHandler)) // the sandbox engine's own log
	addr := sandboxtest.FreeAddr(t)
	s, err := Open(t.Context(), Config{Sandbox: true, SandboxAddr: addr}, Options{SandboxStateFile: filepath.Join(t.TempDir(), "sandbox.json"), Sandbox: sandboxhost.InProcess})
	if err != nil {
		t.Fatal(err)
	}
	if s.Config.Issuer != "http://"+addr || s.Config.MetadataAPI != "http://"+addr+"/api/v2/" {
		t.Errorf("issuer %q, metadata API %q; want the sandbox's at %s", s.Config.Issuer, s.Config.MetadataAPI, addr)
	}
	if sandboxtest.Listening(addr) {
		t.Fatalf("a sandbox listens at %s right after Open; want none until the provider is needed", addr)
	}
	if err := s.CheckProvider(t.Context()); err != nil {
		t.Fatalf("CheckProvider: %v; want the sandbox started in this process", err)
	}
	if !sandboxtest.Listening(addr) {
		t.Fatalf("nothing listens at %s after the provider was asked; want the sandbox", addr)
	}
	s.Close()
	if sandboxtest.Listening(addr) {
		t.Errorf("the sandbox still listens at %s after Close; want it stopped with the session", addr)
	}
}

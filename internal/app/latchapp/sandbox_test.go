package latchapp

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchapp/latch/internal/app/sandboxhost"
	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
)

// startSandboxAt runs a sandbox at addr, of the state at stateFile, as
// another process would.
func startSandboxAt(t *testing.T, addr, stateFile string) *sandboxserver.Server {
	t.Helper()
	srv, err := sandboxserver.New(sandboxserver.Config{Addr: addr, StateFile: stateFile, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// discover asks for the discovery document through the transport.
func discover(t *testing.T, rt http.RoundTripper, issuer string) error {
	t.Helper()
	resp, err := (&http.Client{Transport: rt}).Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"issuer":"`+issuer+`"`) {
		t.Errorf("discovery: %d %s; want 200 and the issuer %s", resp.StatusCode, body, issuer)
	}
	return nil
}

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

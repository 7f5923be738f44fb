package core

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/sandbox"
)

// listening reports whether something accepts connections at addr.
func listening(addr string) bool {
	c, err := net.Dial("tcp4", addr)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// startSandboxAt runs a sandbox at addr, as another process would.
func startSandboxAt(t *testing.T, addr string) *sandbox.Server {
	t.Helper()
	srv, err := sandbox.New(sandbox.Config{Addr: addr, StateFile: filepath.Join(t.TempDir(), "sandbox.json"), Logger: slog.New(slog.DiscardHandler)})
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
	s, err := Open(t.Context(), Config{Sandbox: true, SandboxAddr: addr}, Options{SandboxStateFile: filepath.Join(t.TempDir(), "sandbox.json")})
	if err != nil {
		t.Fatal(err)
	}
	if s.Config.Issuer != "http://"+addr || s.Config.MetadataAPI != "http://"+addr+"/api/v2/" {
		t.Errorf("issuer %q, metadata API %q; want the sandbox's at %s", s.Config.Issuer, s.Config.MetadataAPI, addr)
	}
	if listening(addr) {
		t.Fatalf("a sandbox listens at %s right after Open; want none until the provider is needed", addr)
	}
	if err := s.CheckProvider(t.Context()); err != nil {
		t.Fatalf("CheckProvider: %v; want the sandbox started in this process", err)
	}
	if !listening(addr) {
		t.Fatalf("nothing listens at %s after the provider was asked; want the sandbox", addr)
	}
	s.Close()
	if listening(addr) {
		t.Errorf("the sandbox still listens at %s after Close; want it stopped with the session", addr)
	}
}

func TestSandboxOnDemandUsesARunningOneAndOutlivesIt(t *testing.T) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	addr := sandboxtest.FreeAddr(t)
	other := startSandboxAt(t, addr)
	rt := newSandboxOnDemand(addr, filepath.Join(t.TempDir(), "sandbox.json"), slog.New(slog.DiscardHandler), nil)
	t.Cleanup(rt.close)
	if err := discover(t, rt, "http://"+addr); err != nil {
		t.Fatal(err)
	}
	if rt.srv != nil {
		t.Fatal("a second sandbox was started here beside the running one; want the running one used")
	}
	// The process that ran it quits: the next request starts it here.
	other.Close()
	if err := discover(t, rt, "http://"+addr); err != nil {
		t.Fatalf("after the other sandbox stopped: %v; want it started here and the request sent again", err)
	}
	if rt.srv == nil {
		t.Error("no sandbox started here after the other one stopped")
	}
}

func TestSandboxOnDemandAtAnotherProgramsAddress(t *testing.T) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	state := filepath.Join(t.TempDir(), "sandbox.json")

	// Another program at the address.
	ln, lerr := net.Listen("tcp4", "127.0.0.1:0")
	if lerr != nil {
		t.Fatal(lerr)
	}
	defer ln.Close()
	go http.Serve(ln, http.NotFoundHandler())
	taken := ln.Addr().String()
	err := discover(t, newSandboxOnDemand(taken, state, slog.New(slog.DiscardHandler), nil), "http://"+taken)
	var se *SandboxError
	if !errors.As(err, &se) || !errors.Is(err, sandbox.ErrAddrTaken) {
		t.Fatalf("address taken: got %v; want a SandboxError wrapping ErrAddrTaken", err)
	}
	want := "Another program is using " + taken + ", the Latch sandbox's address. Stop it, or give the sandbox another address (--sandbox-addr, LATCH_SANDBOX_ADDR)."
	if got := Describe(err); got != want {
		t.Errorf("described as %q; want %q", got, want)
	}
}

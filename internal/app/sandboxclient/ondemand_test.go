package sandboxclient_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxclient"
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

func TestSandboxOnDemandUsesARunningOneAndOutlivesIt(t *testing.T) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	addr := sandboxtest.FreeAddr(t)
	state := filepath.Join(t.TempDir(), "sandbox.json")
	other := startSandboxAt(t, addr, state) // the person's, in another process
	var started atomic.Int32
	counting := func(ctx context.Context, o sandboxclient.Options) (sandboxclient.Instance, error) {
		started.Add(1)
		return sandboxhost.InProcess(ctx, o)
	}
	rt := sandboxclient.NewOnDemand(counting, addr, state, slog.New(slog.DiscardHandler), nil)
	t.Cleanup(rt.Close)
	if err := discover(t, rt, "http://"+addr); err != nil {
		t.Fatal(err)
	}
	if started.Load() != 0 {
		t.Fatal("a second sandbox was started here beside the running one; want the running one used")
	}
	// The process that ran it quits: the next request starts it here.
	other.Close()
	if err := discover(t, rt, "http://"+addr); err != nil {
		t.Fatalf("after the other sandbox stopped: %v; want it started here and the request sent again", err)
	}
	if started.Load() != 1 {
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
	err := discover(t, sandboxclient.NewOnDemand(sandboxhost.InProcess, taken, state, slog.New(slog.DiscardHandler), nil), "http://"+taken)
	var se *sandboxclient.StartError
	if !errors.As(err, &se) || !errors.Is(err, sandboxserver.ErrAddrTaken) {
		t.Fatalf("address taken: got %v; want a StartError wrapping ErrAddrTaken", err)
	}
	want := "Another program is using " + taken + ", the Latch sandbox's address. Stop it, or give the sandbox another address (--sandbox-addr, LATCH_SANDBOX_ADDR)."
	if got := latchapp.Describe(err); got != want {
		t.Errorf("described as %q; want %q", got, want)
	}
}

// TestSandboxOnDemandRefusesAnImpostor has the sandbox's address held
// first by a server that answers as a sandbox would, and by another
// user's real sandbox: neither proves it knows the person's sandbox
// state, so neither gets a request beyond the proof asked of it, and the
// person is told another program holds the address.
func TestSandboxOnDemandRefusesAnImpostor(t *testing.T) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	state := filepath.Join(t.TempDir(), "sandbox.json")
	startSandboxAt(t, sandboxtest.FreeAddr(t), state) // the person's state exists

	var seen []string
	var mu sync.Mutex
	impostor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"latch_sandbox":"1","issuer":"http://`+r.Host+`","client_id":"latch-desktop","proof":"forged"}`)
	}))
	defer impostor.Close()
	othersAddr := sandboxtest.FreeAddr(t)
	startSandboxAt(t, othersAddr, filepath.Join(t.TempDir(), "theirs.json"))

	for name, addr := range map[string]string{"impostor": strings.TrimPrefix(impostor.URL, "http://"), "another user's sandbox": othersAddr} {
		err := discover(t, sandboxclient.NewOnDemand(sandboxhost.InProcess, addr, state, slog.New(slog.DiscardHandler), nil), "http://"+addr)
		if !errors.Is(err, sandboxserver.ErrAddrTaken) || !strings.HasPrefix(latchapp.Describe(err), "Another program is using "+addr) {
			t.Errorf("%s at the address: %v (%q); want it refused as another program", name, err, latchapp.Describe(err))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, path := range seen {
		if path != "/.well-known/latch-sandbox" {
			t.Errorf("the impostor got a request for %s; want nothing but the proof asked of it", path)
		}
	}
}

//go:build linux || darwin

package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/base/memstore"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
)

// serve runs an agent in a private folder of the test's, whose sessions
// are kept in memory (an empty store: nobody is signed in), and returns
// a client of it and the folder.
func serve(t *testing.T) (*Client, string) {
	t.Helper()
	return serveWith(t, func(*Server) {})
}

// serveWith is serve with the server set up by setup first.
func serveWith(t *testing.T, setup func(*Server)) (*Client, string) {
	t.Helper()
	// A socket's path is short (108 bytes): not under the test's folder.
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	dir = filepath.Join(dir, "latch")
	ctx, cancel := context.WithCancel(context.Background())
	l, err := Listen(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Open: func(ctx context.Context, cfg latchapp.Config) (*latchapp.Account, error) {
		return latchapp.Open(ctx, cfg, latchapp.Options{Store: &memstore.Store{}, ManualRenewal: true})
	}}
	setup(s)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v; want nil once stopped", err)
		}
	})
	return &Client{Dir: dir}, dir
}

var testConfig = latchapp.Config{Account: "default", Issuer: "https://issuer.example", ClientID: "latch"}

func TestAnErrorCrossesTheSocketWordedAndCoded(t *testing.T) {
	c, _ := serve(t)
	_, err := c.Token(context.Background(), testConfig, latchapp.TokenRequest{})
	if !errors.Is(err, session.ErrNoCredentials) {
		t.Fatalf("Token with nobody signed in: %v; want an error that is session.ErrNoCredentials", err)
	}
	if got, want := latchapp.Describe(err), "You are not signed in."; got != want {
		t.Errorf("Describe says %q; want %q, as the agent worded it", got, want)
	}
	_, err = c.Token(context.Background(), testConfig, latchapp.TokenRequest{Name: "orders"})
	var ce *latchapp.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(ce.Msg, "No API is declared under the name orders") {
		t.Fatalf("Token of an undeclared name: %v; want a *latchapp.ConfigError naming it", err)
	}
}

func TestStatusNamesTheSessionsHeld(t *testing.T) {
	c, dir := serve(t)
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.PID != os.Getpid() || st.Socket != SocketPath(dir) || st.Version != latchapp.Version() || st.App || len(st.Accounts) != 0 {
		t.Fatalf("status %+v; want this process, its socket and version, headless, no account yet", st)
	}
	_, _ = c.Token(context.Background(), testConfig, latchapp.TokenRequest{})
	st, err = c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Accounts) != 1 || st.Accounts[0].Issuer != testConfig.Issuer || st.Accounts[0].State != "signed out" {
		t.Fatalf("accounts %+v; want the one asked about, signed out", st.Accounts)
	}
	if err := c.Forget(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, _ = c.Status(context.Background()); len(st.Accounts) != 0 {
		t.Fatalf("accounts after Forget %+v; want none held", st.Accounts)
	}
}

func TestOnlyOneAgentListens(t *testing.T) {
	_, dir := serve(t)
	if _, err := Listen(context.Background(), dir); !errors.Is(err, ErrRunning) {
		t.Fatalf("a second Listen: %v; want ErrRunning", err)
	}
}

func TestAFolderOthersMayWriteIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "latch")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "others may write") {
		t.Fatalf("Listen in a folder others may write: %v; want it refused", err)
	}
	c := &Client{Dir: dir, Start: func() error { t.Fatal("an agent was started in a folder others may write"); return nil }}
	if _, err := c.Token(context.Background(), testConfig, latchapp.TokenRequest{}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Token: %v; want ErrUnavailable, and no agent started", err)
	}
}

func TestNoAgentRunning(t *testing.T) {
	c := &Client{Dir: filepath.Join(t.TempDir(), "latch")}
	if _, err := c.Status(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Status: %v; want ErrNotRunning", err)
	}
	if err := c.Forget(context.Background()); err != nil {
		t.Errorf("Forget: %v; want nil: nothing to tell", err)
	}
	if _, err := c.Token(context.Background(), testConfig, latchapp.TokenRequest{}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Token without a way to start an agent: %v; want ErrUnavailable", err)
	}
}

// rawRequest sends req to the agent in dir as it is and returns the
// answer's last line.
func rawRequest(t *testing.T, dir string, req request) response {
	t.Helper()
	conn, err := net.Dial("unix", SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		t.Fatal(err)
	}
	var resp response
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestAHeadlessAgentStepsAsideForAnotherVersion(t *testing.T) {
	c, dir := serve(t)
	resp := rawRequest(t, dir, request{Op: opToken, Version: "v0.0.1-other", Config: &testConfig})
	if !resp.StepAside || resp.Version != latchapp.Version() {
		t.Fatalf("answer to a client of another version: %+v; want it to step aside, saying its version", resp)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := c.Status(context.Background()); errors.Is(err, ErrNotRunning) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent still listens 5 s after stepping aside")
		}
		time.Sleep(10 * time.Millisecond)
	}
	l, err := Listen(context.Background(), dir)
	if err != nil {
		t.Fatalf("Listen after it stepped aside: %v; want its place free", err)
	}
	l.Close()
}

func TestAnIdleAgentExits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "latch")
	l, err := Listen(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Idle: 300 * time.Millisecond, Open: func(context.Context, latchapp.Config) (*latchapp.Account, error) {
		return nil, errors.New("not asked")
	}}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background(), l) }()
	c := &Client{Dir: dir}
	for range 3 {
		// Requests keep it alive.
		time.Sleep(150 * time.Millisecond)
		if _, err := c.Status(context.Background()); err != nil {
			t.Fatalf("Status while requests come: %v; want the agent alive", err)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent still serves 10 s after its last request, with Idle 300 ms")
	}
	if _, err := os.Lstat(SocketPath(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the socket after the agent exited: %v; want it removed", err)
	}
}

func TestAnUnknownRequestIsSaidSo(t *testing.T) {
	_, dir := serve(t)
	resp := rawRequest(t, dir, request{Op: "renew-everything", Version: latchapp.Version()})
	if resp.Error == nil || resp.Error.Code != "unknown_op" {
		t.Fatalf("answer %+v; want the error unknown_op", resp)
	}
	if err := fromWire(resp.Error); !errors.Is(err, errUnknownOp) {
		t.Fatalf("fromWire: %v; want errUnknownOp, which the client takes for ErrUnavailable", err)
	}
}

func TestStopEndsTheAgent(t *testing.T) {
	c, _ := serve(t)
	st, err := c.Stop(context.Background())
	if err != nil || st.PID != os.Getpid() {
		t.Fatalf("Stop: %+v, %v; want the agent's status, nil", st, err)
	}
	if _, err := c.Status(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Status after Stop: %v; want ErrNotRunning", err)
	}
}

func TestTheAgentHoldsSixteenSessionsAtMost(t *testing.T) {
	c, _ := serve(t)
	for i := range maxAccounts + 3 {
		cfg := testConfig
		cfg.Audience = fmt.Sprintf("https://api%d.example/", i)
		_, _ = c.Token(context.Background(), cfg, latchapp.TokenRequest{})
	}
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Accounts) != maxAccounts {
		t.Fatalf("%d sessions held after %d configurations were asked about; want %d", len(st.Accounts), maxAccounts+3, maxAccounts)
	}
}

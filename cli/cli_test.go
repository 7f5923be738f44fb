package cli_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"latch/cli"
	"latch/internal/oidctest"
	"latch/profile"
	"latch/session"
)

func run(t *testing.T, env cli.Env, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env.Stdout, env.Stderr = &out, &errb
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := cli.Run(ctx, args, env)
	return code, out.String(), errb.String()
}

func TestSignInPrintsWhoAndReusesSession(t *testing.T) {
	op := oidctest.Start(t, oidctest.Options{})
	store := &session.MemoryStore{}
	b := oidctest.NewBrowser("alice", oidctest.Accounts["alice"])
	env := cli.Env{Store: store, OpenURL: b.OpenURL, LockDir: t.TempDir()}
	code, out, errOut := run(t, env, "--issuer", op.Issuer, "--client-id", oidctest.ClientID, "--no-window")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Signed in as Alice Liddell <alice@example.test> (subject alice)") {
		t.Fatalf("stdout: %s", out)
	}
	// The second run finds the session in the store: no browser.
	env.OpenURL = func(context.Context, string) error {
		t.Error("the browser was opened although a session is stored")
		return nil
	}
	var shown profile.Profile
	env.Window = func(_ context.Context, _ *session.Manager, p profile.Profile) error {
		shown = p
		return nil
	}
	env.Getenv = func(k string) string {
		return map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidctest.ClientID}[k]
	}
	code, out, errOut = run(t, env)
	if code != 0 || !strings.Contains(out, "Signed in as Alice Liddell") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if shown.Subject != "alice" {
		t.Fatal("the window was not shown with the profile")
	}
}

func TestNoBrowserPrintsTheURL(t *testing.T) {
	op := oidctest.Start(t, oidctest.Options{})
	var out, errb bytes.Buffer
	reader := &lineWatcher{found: make(chan string, 1)}
	done := make(chan int)
	go func() {
		done <- cli.Run(context.Background(), []string{"--issuer", op.Issuer, "--client-id", oidctest.ClientID, "--no-browser", "--no-window"},
			cli.Env{Stdout: &syncWriter{w: &out, tap: reader}, Stderr: &errb, Store: &session.MemoryStore{}, LockDir: t.TempDir(),
				Getenv: func(string) string { return "" }})
	}()
	var authURL string
	select {
	case authURL = <-reader.found:
	case <-time.After(30 * time.Second):
		t.Fatal("no URL printed")
	}
	if u, err := url.Parse(authURL); err != nil || u.Query().Get("code_challenge_method") != "S256" {
		t.Fatalf("printed %q", authURL)
	}
	if code, _, err := oidctest.NewBrowser("bob", "builder").Visit(authURL); err != nil || code != 200 {
		t.Fatalf("browser: %d %v", code, err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}

func TestBadUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--frobnicate"}, "flag provided but not defined: -frobnicate"},
		{[]string{"--issuer", "https://x.test"}, "no provider configured"},
		{[]string{"--issuer", "not a url", "--client-id", "c"}, "is not an http(s) URL"},
		{[]string{"--issuer", "https://x.test", "--client-id", "c", "dance"}, `unknown command "dance"`},
	} {
		code, _, errOut := run(t, cli.Env{Store: &session.MemoryStore{}}, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errOut)
		}
	}
	code, out, _ := run(t, cli.Env{}, "--help")
	if code != 0 || !strings.Contains(out, "--client-id") {
		t.Errorf("--help: %d %s", code, out)
	}
}

func TestUnreachableProvider(t *testing.T) {
	code, _, errOut := run(t, cli.Env{Store: &session.MemoryStore{}, LockDir: t.TempDir()},
		"--issuer", "http://127.0.0.1:1", "--client-id", "c", "--no-window")
	if code != 1 || !strings.Contains(errOut, "provider unreachable") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("exit %d: %q", code, errOut)
	}
}

// syncWriter passes writes on and lets a watcher see each line.
type syncWriter struct {
	w   *bytes.Buffer
	tap *lineWatcher
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.tap.see(string(p))
	return s.w.Write(p)
}

type lineWatcher struct{ found chan string }

func (l *lineWatcher) see(s string) {
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "http") {
			select {
			case l.found <- strings.TrimSpace(line):
			default:
			}
		}
	}
}

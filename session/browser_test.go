package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/testbrowser"
)

func TestBrowserCommandsFollowBROWSER(t *testing.T) {
	const u = "https://id.example.test/authorize?x=1"
	for _, c := range []struct {
		browser, goos string
		want          [][]string
	}{
		{"", "linux", [][]string{{"xdg-open", u}}},
		{"", "darwin", [][]string{{"open", u}}},
		{"", "windows", [][]string{{"rundll32", "url.dll,FileProtocolHandler", u}}},
		{"firefox", "linux", [][]string{{"firefox", u}, {"xdg-open", u}}},
		{"w3m -o x=%s", "linux", [][]string{{"w3m", "-o", "x=" + u}, {"xdg-open", u}}},
		{"chromium --incognito:lynx", "linux", [][]string{{"chromium", "--incognito", u}, {"lynx", u}, {"xdg-open", u}}},
		{" : ", "linux", [][]string{{"xdg-open", u}}},
	} {
		got := browserCommands(c.browser, c.goos, u)
		if !slices.EqualFunc(got, c.want, slices.Equal) {
			t.Errorf("BROWSER=%q on %s tries %q; want %q", c.browser, c.goos, got, c.want)
		}
	}
}

func TestOpenBrowserRunsBROWSERThenSaysNoBrowser(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a shell script stands for the browser")
	}
	dir := t.TempDir()
	got := filepath.Join(dir, "opened")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$1\" > "+got+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	const u = "http://127.0.0.1:1/authorize?state=s"
	// A command that is missing, one that fails at once, then the
	// browser.
	t.Setenv("BROWSER", "missing-browser:false:"+script)
	if err := openBrowser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(got)
		if strings.TrimSpace(string(b)) == u {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("$BROWSER was given %q; want %q", b, u)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Nothing to run at all: a clear error, not exec's.
	t.Setenv("BROWSER", "")
	t.Setenv("PATH", t.TempDir())
	err := openBrowser(context.Background(), u)
	if !errors.Is(err, ErrNoBrowser) {
		t.Fatalf("with no browser OpenBrowser gave %v; want ErrNoBrowser", err)
	}
	if err := openBrowser(context.Background(), "file:///etc/passwd"); err == nil || errors.Is(err, ErrNoBrowser) {
		t.Fatalf("a file address gave %v; want it refused", err)
	}
}

// TestSignInGoesOnWhenNoBrowserOpens: with ShowURL set, a browser that
// cannot be opened does not end the sign-in; the address shown completes
// it.
func TestSignInGoesOnWhenNoBrowserOpens(t *testing.T) {
	e := newEnv(t, time.Minute)
	m := e.manager(manual)
	shown := make(chan string, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := m.LoginWithBrowser(ctx, BrowserLogin{
			OpenURL: func(context.Context, string) error { return ErrNoBrowser },
			ShowURL: func(u string, openErr error) {
				if errors.Is(openErr, ErrNoBrowser) {
					shown <- u
				}
			},
		})
		done <- err
	}()
	u := <-shown
	if code, _, err := testbrowser.NewBrowser(e.peer.user, e.peer.password).Visit(u); err != nil || code != 200 {
		t.Fatalf("the browser ended on %d, %v; want 200", code, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the sign-in ended with %v; want it completed", err)
	}
	// Without ShowURL, the failure ends the sign-in at once.
	_, err := m.LoginWithBrowser(ctx, BrowserLogin{OpenURL: func(context.Context, string) error { return ErrNoBrowser }})
	if !errors.Is(err, ErrNoBrowser) {
		t.Fatalf("without ShowURL the sign-in gave %v; want ErrNoBrowser", err)
	}
}

// Package sandboxtest runs Latch's sandbox provider for tests and plays a
// person who cancels at its sign-in page.
package sandboxtest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// Start runs a sandbox on a free loopback port until the test ends, with
// its state in stateFile (empty: a temporary folder) and access tokens that
// live for ttl (0: the sandbox's default).
func Start(t testing.TB, stateFile string, ttl time.Duration) *sandboxserver.Server {
	t.Helper()
	return StartWith(t, sandboxserver.Config{StateFile: stateFile, AccessTokenTTL: ttl})
}

// StartWith runs a sandbox of cfg until the test ends: on cfg.Addr, or a
// free loopback port when it is empty; an empty state file is one of the
// test's own.
func StartWith(t testing.TB, cfg sandboxserver.Config) *sandboxserver.Server {
	t.Helper()
	// Its OpenID engine logs every refused request through slog's default
	// logger; the tests check the answers instead.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	if cfg.StateFile == "" {
		cfg.StateFile = filepath.Join(t.TempDir(), "sandbox.json")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := sandboxserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// CancelAtSignIn is a session.BrowserLogin.OpenURL for a person who opens
// the sandbox's sign-in page and presses Cancel.
func CancelAtSignIn(issuer string) func(context.Context, string) error {
	return func(_ context.Context, u string) error {
		go func() {
			b := testbrowser.NewBrowser("", "")
			resp, err := b.Client.Get(u)
			if err != nil {
				return
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp, err = b.Client.PostForm(issuer+"/login/cancel", url.Values{
				"csrf": {testbrowser.FormValue(string(page), "csrf")}, "id": {resp.Request.URL.Query().Get("id")}})
			if err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
}

// Listening reports whether something accepts connections at addr.
func Listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// FreeAddr is a loopback address that nothing listens on, for a sandbox
// to be started at (by the code under test, or by another process).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

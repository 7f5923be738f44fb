package latchapp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/session"
)

// TestSignInFailuresReadAsSentences makes each way a sign-in fails happen
// for real, and reads what the sign-in screen and latch login say: one or
// two sentences for a person, with what to do, and nothing of the
// program's inside (no "session:" or "sign-in:" prefix, no Go error
// text).
func TestSignInFailuresReadAsSentences(t *testing.T) {
	srv := sandboxtest.Start(t, "", 0)
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>Please log in to the Wi-Fi</html>"))
	}))
	t.Cleanup(notJSON.Close)

	for _, c := range []struct {
		name   string
		issuer string
		login  func(m *session.Manager) error
		want   string
	}{
		{"the provider cannot be reached", "http://127.0.0.1:1", browserLogin(nowhere, 0),
			"The provider cannot be reached. Check your connection and try again."},
		{"a captive portal answers for it", notJSON.URL, browserLogin(nowhere, 0),
			"The provider cannot be used: the discovery document is not JSON."},
		{"the person cancels at the provider", srv.Issuer(), browserLogin(sandboxtest.CancelAtSignIn(srv.Issuer()), 0),
			"Access was denied: The sign-in was cancelled."},
		{"nobody comes back from the browser", srv.Issuer(), browserLogin(nowhere, 300*time.Millisecond),
			"The sign-in timed out. Please try again."},
		{"no browser opens", srv.Issuer(), browserLogin(nil, 0),
			"No browser could be opened on this computer. Open the sign-in address in a browser yourself, or sign in on another device."},
		{"the device code is never entered", srv.Issuer(), func(m *session.Manager) error {
			d, err := m.StartDeviceLogin(context.Background())
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err = d.Wait(ctx)
			return err
		}, "The sign-in timed out. Please try again."},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("BROWSER", "/nonexistent/browser")
			t.Setenv("PATH", t.TempDir())
			m, err := session.New(session.Config{Issuer: c.issuer, ClientID: sandboxserver.ClientID, LockDir: t.TempDir(), ManualRenewal: true})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			err = c.login(m)
			got := latchapp.Describe(err)
			if got != c.want {
				t.Errorf("the sign-in failed with %v, read as %q; want %q", err, got, c.want)
			}
			for _, inside := range []string{"session:", "sign-in:", "dial tcp", "%!", "<nil>"} {
				if strings.Contains(got, inside) {
					t.Errorf("%q says %q; want words for a person", got, inside)
				}
			}
		})
	}
}

// nowhere is a browser that opens and never comes back.
func nowhere(context.Context, string) error { return nil }

// browserLogin signs in through a browser that open plays (nil: the
// system's), for at most timeout (0: no limit of its own).
func browserLogin(open func(context.Context, string) error, timeout time.Duration) func(m *session.Manager) error {
	return func(m *session.Manager) error {
		_, err := m.LoginWithBrowser(context.Background(), session.BrowserLogin{OpenURL: open, Timeout: timeout})
		return err
	}
}

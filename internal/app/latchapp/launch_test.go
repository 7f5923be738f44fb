package latchapp_test

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/internal/testing/testbrowser"
	"github.com/latchapp/latch/session"
)

// counting counts the requests sent through it.
type counting struct{ n atomic.Int32 }

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// launchWorld is a sandbox and a store that launches share.
type launchWorld struct {
	t     *testing.T
	srv   *sandboxserver.Server
	store *sessiontest.Store
	lock  string
	net   *counting
}

// open opens a latchapp.Account on the world, as a launch does.
func (w *launchWorld) open() *latchapp.Account {
	w.t.Helper()
	s, err := latchapp.Open(w.t.Context(), latchapp.Config{Issuer: w.srv.Issuer(), ClientID: sandboxserver.ClientID}, latchapp.Options{
		Store: w.store, LockDir: w.lock, ManualRenewal: true, HTTPClient: &http.Client{Transport: w.net},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(s.Close)
	return s
}

// rewrite changes the stored credentials' JSON.
func (w *launchWorld) rewrite(change func(map[string]any)) { sessiontest.Rewrite(w.t, w.store, change) }

func TestLaunchDecision(t *testing.T) {
	w := &launchWorld{t: t, srv: sandboxtest.Start(t, "", 0), store: &sessiontest.Store{}, lock: t.TempDir(), net: &counting{}}

	// Nobody signed in: sign-in, with no reason to give.
	if l := latchapp.Decide(t.Context(), w.open().Manager, nil); l.Next != latchapp.ShowSignIn || l.Reason != nil {
		t.Fatalf("nobody signed in: got %+v, want sign-in without a reason", l)
	}
	if _, err := w.open().Manager.LoginWithBrowser(t.Context(), session.BrowserLogin{OpenURL: testbrowser.NewBrowser("demo", "demo").OpenURL}); err != nil {
		t.Fatal(err)
	}

	// Valid credentials: the profile at once, with no network at all.
	before := w.net.n.Load()
	renewing := false
	l := latchapp.Decide(t.Context(), w.open().Manager, func() { renewing = true })
	if l.Next != latchapp.ShowProfile || l.Person.DisplayName() != "Dana Demo" || renewing || l.Offline {
		t.Fatalf("valid credentials: got %+v (renewing %t), want Dana Demo's profile at once", l, renewing)
	}
	if sent := w.net.n.Load() - before; sent != 0 {
		t.Fatalf("valid credentials: %d requests sent at launch, want none", sent)
	}

	// Expired but renewable: renewed first, then the profile.
	w.rewrite(func(c map[string]any) { c["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339Nano) })
	l = latchapp.Decide(t.Context(), w.open().Manager, func() { renewing = true })
	if l.Next != latchapp.ShowProfile || !renewing || !l.Creds.ValidFor(time.Now(), time.Minute) {
		t.Fatalf("expired credentials: got %+v (renewing %t), want them renewed, then the profile", l, renewing)
	}

	// Renewable, but the provider is gone: the profile, offline.
	w.rewrite(func(c map[string]any) { c["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339Nano) })
	m := w.open().Manager
	w.srv.Close()
	l = latchapp.Decide(t.Context(), m, nil)
	if l.Next != latchapp.ShowProfile || !l.Offline || !errors.Is(l.Reason, session.ErrProviderUnreachable) {
		t.Fatalf("provider gone: got %+v, want the profile, offline, because the provider is unreachable", l)
	}

	// Expired and not renewable: sign-in, saying the session expired.
	w.rewrite(func(c map[string]any) {
		c["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339Nano)
		delete(c, "refresh_token")
	})
	l = latchapp.Decide(t.Context(), w.open().Manager, nil)
	if l.Next != latchapp.ShowSignIn || !errors.Is(l.Reason, session.ErrSessionExpired) {
		t.Fatalf("expired, no refresh token: got %+v, want sign-in because the session expired", l)
	}
	if got := latchapp.Describe(l.Reason); got != "Your session expired. Please sign in again." {
		t.Errorf("the reason reads %q, want the expired-session sentence", got)
	}
}

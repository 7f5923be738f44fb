package session

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRenewalRotatesAndPersists(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		first := e.login(m)
		renewed, err := m.Renew(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		if renewed.RefreshToken == "" || renewed.RefreshToken == first.RefreshToken {
			t.Fatal("the refresh token was not rotated")
		}
		if renewed.AccessToken == first.AccessToken {
			t.Fatal("the access token was not renewed")
		}
		stored, _ := e.store.Get(bg(t), m.cfg.StoreKey)
		got, _ := unmarshalCredentials(stored)
		if got.RefreshToken != renewed.RefreshToken || got.AccessToken != renewed.AccessToken {
			t.Fatal("the rotated refresh token was not persisted")
		}
		// A new Manager (the next launch) uses the rotated token.
		next := e.manager(manual)
		again, err := next.Renew(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		if again.RefreshToken == renewed.RefreshToken {
			t.Fatal("not rotated on the second renewal")
		}
		// The provider rejects the rotated-away token (and, per its reuse
		// detection, revokes the grant).
		if code := e.refreshDirectly(first.RefreshToken); code != "invalid_grant" {
			t.Fatalf("the reused refresh token answered %q, want invalid_grant", code)
		}
	})
}

func TestConcurrentCredentialsMakeOneRefresh(t *testing.T) {
	t.Parallel()
	forEachPeer(t, 30*time.Second, func(t *testing.T, e *env) {
		m := e.manager(manual)
		first := e.login(m)
		e.clock.advance(31 * time.Second) // the access token has expired
		if hasValid(bg(t), m, 0) {
			t.Fatal("the access token should look expired")
		}
		const callers = 100
		var wg sync.WaitGroup
		tokens := make([]string, callers)
		errs := make([]error, callers)
		start := make(chan struct{})
		for i := range callers {
			wg.Go(func() {
				<-start
				c, err := m.Credentials(bg(t), 5*time.Second)
				errs[i] = err
				if c != nil {
					tokens[i] = c.AccessToken
				}
			})
		}
		close(start)
		wg.Wait()
		for i := range callers {
			if errs[i] != nil {
				t.Fatalf("caller %d got %v, want a token", i, errs[i])
			}
			if tokens[i] != tokens[0] || tokens[i] == first.AccessToken {
				t.Fatalf("caller %d got another token, want every caller the one renewed token", i)
			}
		}
		if n := len(e.rec.grants("refresh_token")); n != 1 {
			t.Fatalf("%d refresh requests, want exactly 1", n)
		}
	})
}

func TestProactiveRenewalBeforeExpiry(t *testing.T) {
	t.Parallel()
	forEachPeer(t, 6*time.Second, func(t *testing.T, e *env) {
		m := e.manager()
		var renewals atomic.Int32
		renewed := make(chan Event, 4)
		unsubscribe := m.Subscribe(func(ev Event) {
			if ev.State == StateRenewing {
				renewals.Add(1)
			}
			if ev.State == StateSignedIn && renewals.Load() > 0 {
				renewed <- ev
			}
		})
		defer unsubscribe()
		first := e.login(m)
		select {
		case <-renewed:
		case <-time.After(15 * time.Second):
			t.Fatal("no renewal happened by itself")
		}
		calls := e.rec.grants("refresh_token")
		if len(calls) == 0 {
			t.Fatal("no refresh request")
		}
		if !calls[0].At.Before(first.Expiry) {
			t.Fatalf("renewed at %v, want before the expiry %v", calls[0].At, first.Expiry)
		}
		// The caller now gets a fresh token without waiting on the network.
		before := len(e.rec.grants("refresh_token"))
		c, err := m.Credentials(bg(t), time.Second)
		if err != nil || c.AccessToken == first.AccessToken {
			t.Fatalf("after proactive renewal Credentials gave %v, want the new token", err)
		}
		if after := len(e.rec.grants("refresh_token")); after != before {
			t.Error("Credentials went to the network after a proactive renewal")
		}
	})
}

func TestRotatedRefreshTokenIsNeverSentAgain(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		// Two Managers on one store and one lock folder: two processes of
		// Latch, say the app and `latch token`.
		app := e.manager(manual)
		cli := e.manager(manual)
		e.login(app)
		if _, err := cli.Credentials(bg(t), 0); err != nil {
			t.Fatal(err)
		}
		for i := range 6 {
			var wg sync.WaitGroup
			for _, m := range []*Manager{app, cli} {
				wg.Go(func() {
					if _, err := m.Renew(bg(t)); err != nil {
						t.Errorf("round %d: renewal gave %v, want success", i, err)
					}
				})
			}
			wg.Wait()
		}
		seen := map[string]bool{}
		for _, c := range e.rec.grants("refresh_token") {
			if seen[c.RefreshToken] {
				t.Fatal("a refresh token was sent twice")
			}
			seen[c.RefreshToken] = true
			if c.Status != http.StatusOK {
				t.Fatalf("a renewal was refused with %d, want 200", c.Status)
			}
		}
		if len(seen) == 0 {
			t.Fatal("no renewal made")
		}
		a, _ := app.Held(bg(t))
		b, _ := cli.Credentials(bg(t), 0)
		if a.RefreshToken != b.RefreshToken {
			// The app adopts what the other process stored at its next renewal.
			if _, err := app.Renew(bg(t)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestInvalidGrantEndsSessionWithReason(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		creds := e.login(m)
		// Someone revokes the grant at the provider.
		if code := e.refreshDirectly(creds.RefreshToken); code != "" {
			t.Fatal(code)
		}
		ended := make(chan Event, 8)
		defer m.Subscribe(func(ev Event) {
			if ev.State == StateEnded {
				ended <- ev
			}
		})()
		_, err := m.Renew(bg(t))
		var pe *ProviderError
		if !errors.Is(err, ErrSignInRequired) || !errors.As(err, &pe) || pe.Code != "invalid_grant" {
			t.Fatalf("want invalid_grant as ErrSignInRequired, got %v", err)
		}
		select {
		case ev := <-ended:
			if !errors.As(ev.Err, &pe) || pe.Code != "invalid_grant" {
				t.Errorf("ended event carries %v, want the provider's invalid_grant", ev.Err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no ended event")
		}
		if canRenew(bg(t), m) {
			t.Error("the dead refresh token is still held")
		}
	})
}

// TestWrongLocalClock signs in and renews against the real providers with
// the local clock ten minutes fast, then ten minutes slow.
func TestWrongLocalClock(t *testing.T) {
	t.Parallel()
	for _, offset := range []time.Duration{10 * time.Minute, -10 * time.Minute} {
		t.Run(offset.String(), func(t *testing.T) {
			forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
				e.clock.advance(offset)
				m := e.manager(manual)
				first := e.login(m)
				if !hasValid(bg(t), m, 30*time.Second) {
					t.Fatalf("after sign-in with the clock %v off, the token is not valid, want it valid", offset)
				}
				renewed, err := m.Renew(bg(t))
				if err != nil || renewed.RefreshToken == first.RefreshToken {
					t.Fatalf("renewal with the clock %v off gave %v, want a rotated token", offset, err)
				}
				if c, err := m.Credentials(bg(t), 30*time.Second); err != nil || c.AccessToken != renewed.AccessToken {
					t.Fatalf("Credentials gave %v, want the renewed token from memory", err)
				}
			})
		})
	}
}

// downNetwork is a transport that can be cut, as a lost network is.
type downNetwork struct {
	mu   sync.Mutex
	down bool
}

func (d *downNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	d.mu.Lock()
	down := d.down
	d.mu.Unlock()
	if down {
		return nil, errors.New("dial tcp: connect: network is unreachable")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (d *downNetwork) set(down bool) {
	d.mu.Lock()
	d.down = down
	d.mu.Unlock()
}

// TestSignOutWithoutNetwork signs out while the provider cannot be
// reached: the local credentials go at once, the revocation waits in the
// store, and is sent when the provider is back.
func TestSignOutWithoutNetwork(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		net := &downNetwork{}
		m := e.manager(manual, func(c *Config) { c.HTTPClient = &http.Client{Transport: net} })
		creds := e.login(m)
		net.set(true)
		if err := m.Logout(bg(t)); !errors.Is(err, ErrRevocationPending) {
			t.Fatalf("Logout without a network gave %v, want ErrRevocationPending", err)
		}
		if _, err := m.Credentials(bg(t), 0); !errors.Is(err, ErrNoCredentials) {
			t.Fatalf("after Logout Credentials gave %v, want ErrNoCredentials", err)
		}
		if n, sent, err := m.SendRevocations(bg(t)); n != 1 || !sent.IsZero() || !errors.Is(err, ErrRevocationPending) {
			t.Fatalf("offline, SendRevocations gave %d pending, last sent %v, %v; want 1, never, ErrRevocationPending", n, sent, err)
		}
		// The next program to run, with the network back, sends it.
		net.set(false)
		next := e.manager(manual)
		n, sent, err := next.SendRevocations(bg(t))
		if err != nil || n != 0 || time.Since(sent) > time.Minute {
			t.Fatalf("SendRevocations gave %d pending, last sent %v, %v; want none left, sent just now", n, sent, err)
		}
		if code := e.refreshDirectly(creds.RefreshToken); code != "invalid_grant" {
			t.Fatalf("the refresh token answered %q after the revocation was sent, want invalid_grant", code)
		}
	})
}

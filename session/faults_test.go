package session

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
)

// newEnvBehindProxy is an env on oidc-provider reached through a fault
// proxy, with access tokens that live for ttl.
func newEnvBehindProxy(t *testing.T, ttl time.Duration) (*env, *faultproxy.Proxy) {
	t.Helper()
	proxy := faultproxy.Start(t, func(issuer string) string {
		return oidcprovider.Start(t, oidcprovider.Options{AccessTokenTTL: ttl, Issuer: issuer}).Listening
	})
	return newEnvOn(t, peer{name: "oidc-provider", issuer: proxy.URL, clientID: oidcprovider.ClientID,
		user: "alice", password: oidcprovider.Accounts["alice"], subject: "alice"}), proxy
}

// stateLog records a Manager's states.
type stateLog struct {
	mu     sync.Mutex
	events []Event
	next   chan Event
}

func logStates(t *testing.T, m *Manager) *stateLog {
	l := &stateLog{next: make(chan Event, 64)}
	t.Cleanup(m.Subscribe(func(e Event) {
		l.mu.Lock()
		l.events = append(l.events, e)
		l.mu.Unlock()
		l.next <- e
	}))
	return l
}

// await waits up to limit for an event that ok accepts, and returns it.
func (l *stateLog) await(t *testing.T, limit time.Duration, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case e := <-l.next:
			if ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no event saying %s within %v, want one", what, limit)
		}
	}
}

// ended reports whether the session ever ended or was signed out.
func (l *stateLog) ended() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.ContainsFunc(l.events, func(e Event) bool { return e.State == StateEnded || e.State == StateSignedOut })
}

// TestProviderFaults puts each fault between the Manager and the real
// provider while the session renews by itself. For every one: no sign-out,
// no refresh token lost, the current access token served while valid,
// the state offline, and renewal resumed by itself once the fault is gone.
// (A slow answer is no fault: the renewal waits for it; see
// TestLateAnswerIsStored.)
func TestProviderFaults(t *testing.T) {
	t.Parallel()
	e, proxy := newEnvBehindProxy(t, 4*time.Second)
	html := func(status int) *faultproxy.Fault {
		return &faultproxy.Fault{Status: status, ContentType: "text/html", Body: "<html><body>Sign in to the Wi-Fi</body></html>"}
	}
	for _, tc := range []struct {
		name  string
		fault *faultproxy.Fault
		down  bool // the whole provider unreachable
		// retryAfter is the least time the next attempt must wait.
		retryAfter time.Duration
	}{
		{name: "500", fault: &faultproxy.Fault{Status: 500}},
		{name: "502", fault: &faultproxy.Fault{Status: 502}},
		{name: "503", fault: &faultproxy.Fault{Status: 503, Body: `{"error":"temporarily_unavailable"}`}},
		{name: "429 with Retry-After in seconds", fault: &faultproxy.Fault{Status: 429, Header: map[string]string{"Retry-After": "3"}}, retryAfter: 3 * time.Second},
		{name: "429 with Retry-After as a date", fault: &faultproxy.Fault{Status: 429, RetryAfterDate: 3 * time.Second}, retryAfter: 2 * time.Second},
		{name: "malformed JSON", fault: &faultproxy.Fault{Status: 200, Body: `{"access_token": "a", "token_type":`}},
		{name: "an HTML error page", fault: html(502)},
		{name: "a captive portal", fault: html(200)},
		{name: "a reset connection", fault: &faultproxy.Fault{Reset: true}},
		{name: "unreachable for a while", down: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := e.manager(func(c *Config) {
				c.StoreKey = "faults-" + tc.name
			})
			t.Cleanup(func() { m.Close() }) // no renewals of this row in the next
			first := e.login(m)
			states := logStates(t, m)
			if tc.down {
				proxy.Down()
			} else {
				proxy.SetFault(tc.fault)
			}
			states.await(t, 15*time.Second, "offline", func(e Event) bool { return e.State == StateOffline })
			if got := storedRefreshToken(t, e.store, m.cfg.StoreKey); got != first.RefreshToken {
				t.Fatal("the stored refresh token changed during the fault, want it kept")
			}
			if c, err := m.Credentials(bg(t), 0); err == nil && c.AccessToken != first.AccessToken {
				t.Fatal("another access token was handed out during the fault, want the current one while valid")
			}
			faulted := len(proxy.TokenRequests())
			if tc.down {
				time.Sleep(2 * time.Second)
				proxy.Up()
			} else {
				proxy.SetFault(nil)
			}
			states.await(t, 20*time.Second, "renewed after the fault", func(e Event) bool {
				return e.State == StateSignedIn && e.LastRenewal.After(first.ObtainedAt)
			})
			if states.ended() {
				t.Fatal("the session ended or was signed out during a transient fault, want it kept")
			}
			if got := storedRefreshToken(t, e.store, m.cfg.StoreKey); got == first.RefreshToken {
				t.Fatal("the renewed refresh token was not stored, want it stored")
			}
			if tc.retryAfter > 0 {
				times := proxy.TokenRequests()
				if gap := times[faulted].Sub(times[faulted-1]); gap < tc.retryAfter {
					t.Errorf("the next attempt came %v after the 429, want at least %v (Retry-After)", gap, tc.retryAfter)
				}
			}
		})
	}
}

// TestProviderUnreachableAtLaunch starts with the provider down: the
// stored session is shown (no network is needed for that), the state is
// offline, and renewal resumes when the provider comes back.
func TestProviderUnreachableAtLaunch(t *testing.T) {
	t.Parallel()
	e, proxy := newEnvBehindProxy(t, 4*time.Second)
	first := e.login(e.manager(manual))
	proxy.Down()
	m := e.manager()
	states := logStates(t, m)
	if !hasValid(bg(t), m, 0) {
		t.Fatal("the stored session is not valid at launch without the provider, want it valid")
	}
	states.await(t, 15*time.Second, "offline", func(e Event) bool { return e.State == StateOffline })
	proxy.Up()
	states.await(t, 20*time.Second, "renewed once the provider is back", func(e Event) bool {
		return e.State == StateSignedIn && e.LastRenewal.After(first.ObtainedAt)
	})
	if states.ended() {
		t.Fatal("the session ended while the provider was unreachable, want it kept")
	}
}

// TestLateAnswerIsStored has the provider process a renewal at once and
// answer it late, later than the HTTP client's own timeout and than its
// caller waits: the caller gives up, the renewal goes on, its answer is
// stored, and the session lives on the rotated refresh token, where
// cutting the request short would have lost it (and the next renewal,
// spending the old token again, would have ended the session).
func TestLateAnswerIsStored(t *testing.T) {
	t.Parallel()
	e, proxy := newEnvBehindProxy(t, time.Minute)
	m := e.manager(func(c *Config) { c.HTTPClient = &http.Client{Transport: e.rec, Timeout: time.Second} })
	first := e.login(m)
	proxy.SetFault(&faultproxy.Fault{HoldAnswer: 3 * time.Second, Times: 1})
	ctx, cancel := context.WithTimeout(bg(t), 500*time.Millisecond)
	_, err := m.Renew(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the impatient caller got %v; want its own deadline", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		held, err := m.Held(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		if held.RefreshToken != first.RefreshToken {
			break // the late answer, stored
		}
		if time.Now().After(deadline) {
			t.Fatal("10 s after the late answer the old refresh token is still held; want the rotated one stored")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(proxy.TokenRequests()); n != 2 {
		t.Errorf("%d token requests (sign-in and renewals); want 2: the late renewal was not sent again", n)
	}
	if _, err := m.Renew(bg(t)); err != nil {
		t.Fatalf("a renewal after the late answer: %v; want the session alive", err)
	}
}

package session

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// storeCreds writes credentials holding refreshToken under "creds", as
// another process would.
func storeCreds(t *testing.T, op *fakeOP, store Store, refreshToken string, lifetime time.Duration) {
	t.Helper()
	now := time.Now()
	c := &Credentials{AccessToken: "access-" + refreshToken, TokenType: "Bearer", RefreshToken: refreshToken,
		IDToken: op.idToken("alice", now), Expiry: now.Add(lifetime), ObtainedAt: now}
	b, _ := c.marshal()
	if err := store.Set(t.Context(), "creds", b); err != nil {
		t.Fatal(err)
	}
}

func TestRefusedRenewalAdoptsWhatAnotherWriterStored(t *testing.T) {
	op := newFakeOP(t)
	store := &memStore{}
	m, _ := op.signedIn(t, store, time.Minute, manual)
	// While the refresh request is on its way, another writer stores new
	// credentials; then the provider refuses the old refresh token.
	op.script(func(w http.ResponseWriter, _ *http.Request) bool {
		storeCreds(t, op, store, "refresh-elsewhere", time.Minute)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return true
	})
	c, err := m.Renew(t.Context())
	if err != nil || c.RefreshToken != "refresh-elsewhere" {
		t.Fatalf("Renew gave %v, %v; want the other writer's credentials adopted", c, err)
	}
	if got := storedRefreshToken(t, store); got != "refresh-elsewhere" {
		t.Fatalf("the store holds %q, want the other writer's refresh-elsewhere kept (compare and delete)", got)
	}
}

func TestOrphanedRenewalIsQueuedForRevocation(t *testing.T) {
	op := newFakeOP(t)
	store := &failingStore{}
	m, _ := op.signedIn(t, store, time.Minute, manual)
	// The store takes the rewrite before the refresh token is spent, then
	// fails the successor's write.
	store.fail, store.failAfter = true, 1
	if _, err := m.Renew(t.Context()); !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("Renew with a failing store gave %v, want ErrKeychainUnavailable", err)
	}
	renewed := m.session.creds.RefreshToken
	// Another process signs out before the store works again.
	store.fail = false
	if err := store.memStore.Delete(t.Context(), "creds"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Credentials(t.Context(), 0); !errors.Is(err, ErrSignedOutElsewhere) {
		t.Fatalf("Credentials gave %v, want ErrSignedOutElsewhere: the sign-out elsewhere wins", err)
	}
	if _, err := store.Get(t.Context(), "creds"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the store gave %v, want nothing written back after the sign-out", err)
	}
	q, err := m.store.revocations(t.Context())
	if err != nil || len(q) != 1 || q[0].Token != renewed {
		t.Fatalf("revocation queue %v, %v; want the orphaned refresh token %q", q, err, renewed)
	}
}

func TestCallersFailAtOnceWhileOffline(t *testing.T) {
	op := newFakeOP(t)
	synctest.Test(t, func(t *testing.T) {
		op.script(answer(http.StatusServiceUnavailable, ""))
		m, _ := op.signedIn(t, &memStore{}, time.Second, manual, op.direct)
		time.Sleep(2 * time.Second) // the access token has expired
		if _, err := m.Credentials(t.Context(), 0); !errors.Is(err, ErrProviderUnreachable) {
			t.Fatalf("got %v, want ErrProviderUnreachable", err)
		}
		tried := len(op.calls())
		if tried != 1+len(quickRetries) {
			t.Fatalf("%d requests, want %d: one and its quick retries", tried, 1+len(quickRetries))
		}
		start := time.Now()
		if _, err := m.Credentials(t.Context(), 0); !errors.Is(err, ErrProviderUnreachable) || time.Since(start) != 0 {
			t.Fatalf("the next caller got %v after %v, want ErrProviderUnreachable at once", err, time.Since(start))
		}
		if n := len(op.calls()); n != tried {
			t.Fatalf("%d more requests while offline, want none before the backoff ends", n-tried)
		}
		time.Sleep(2 * time.Second) // the backoff (1 s ± 20%) is over
		op.script(nil)
		if c, err := m.Credentials(t.Context(), 0); err != nil || c.AccessToken == "access-0" {
			t.Fatalf("after the backoff got %v, %v; want renewed credentials", c, err)
		}
	})
}

func TestSchedulerRespectsRetryAfter(t *testing.T) {
	op := newFakeOP(t)
	synctest.Test(t, func(t *testing.T) {
		first := true
		op.script(func(w http.ResponseWriter, _ *http.Request) bool {
			if !first {
				return false
			}
			first = false
			w.Header().Set("Retry-After", "20")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		})
		m, _ := op.signedIn(t, &memStore{}, 4*time.Second, op.direct)
		hasValid(t.Context(), m, 0) // loads the store; the scheduler plans
		time.Sleep(30 * time.Second)
		synctest.Wait()
		calls := op.calls()
		if len(calls) != 2 {
			t.Fatalf("%d requests, want 2: the refused one, and one after the wait asked for", len(calls))
		}
		if gap := calls[1].Sub(calls[0]); gap < 20*time.Second {
			t.Fatalf("tried again %v later, want at least the 20 s of Retry-After", gap)
		}
		if m.State().State != StateSignedIn {
			t.Errorf("state %v, want signed in again", m.State().State)
		}
	})
}

func TestSchedulerStopsWhenTheClientIsRefused(t *testing.T) {
	op := newFakeOP(t)
	synctest.Test(t, func(t *testing.T) {
		op.script(answer(http.StatusUnauthorized, `{"error":"invalid_client"}`))
		store := &memStore{}
		m, _ := op.signedIn(t, store, 4*time.Second, op.direct)
		hasValid(t.Context(), m, 0)
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if n := len(op.calls()); n != 1 {
			t.Fatalf("%d requests in 10 minutes, want 1: a refused client is not retried in a loop", n)
		}
		if !errors.Is(m.State().Err, ErrClientRejected) || storedRefreshToken(t, store) != "refresh-0" {
			t.Fatalf("state %+v, want the refusal reported and the credentials kept", m.State())
		}
	})
}

func TestRenewsAtOnceAfterAWakeUp(t *testing.T) {
	op := newFakeOP(t)
	synctest.Test(t, func(t *testing.T) {
		clock := &offsetClock{} // its wall clock can jump; timers run as before
		op.mu.Lock()
		op.now = clock.Now // the provider's clock moves on too
		op.mu.Unlock()
		m, _ := op.signedIn(t, &memStore{}, time.Hour, op.direct, func(c *Config) { c.Now = clock.Now })
		hasValid(t.Context(), m, 0)
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := len(op.calls()); n != 0 {
			t.Fatalf("%d renewals within the first minute of an hour-long token, want none", n)
		}
		// The machine sleeps for two hours: the wall clock jumps, timers
		// on the monotonic clock do not notice.
		clock.advance(2 * time.Hour)
		time.Sleep(wallCheck + time.Second)
		synctest.Wait()
		if n := len(op.calls()); n != 1 {
			t.Fatalf("%d renewals within %v of waking, want 1", n, wallCheck+time.Second)
		}
		if !hasValid(t.Context(), m, 30*time.Second) {
			t.Error("the credentials are not valid after the renewal, want them renewed")
		}
	})
}

// twoProcesses are two Managers on one store and lock folder, as two
// programs on one machine are: a long-lived one that watches (the app) and
// a short-lived one (a command).
func twoProcesses(t *testing.T, op *fakeOP) (app, cmd *Manager, store *memStore) {
	store = &memStore{}
	lockDir := t.TempDir()
	app, _ = op.signedIn(t, store, time.Hour, func(c *Config) { c.LockDir = lockDir })
	var err error
	cmd, err = New(Config{Issuer: op.srv.URL, ClientID: "fake-client", Store: store, LockDir: lockDir, StoreKey: "creds", ManualRenewal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Close() })
	return app, cmd, store
}

func TestOtherProcessesChangesAreFollowed(t *testing.T) {
	op := newFakeOP(t)
	app, cmd, _ := twoProcesses(t, op)
	states := logStates(t, app)
	before, err := app.Held(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	// A renewal in the other process is taken up.
	renewed, err := cmd.Renew(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	states.await(t, 2*time.Second, "the other process's renewal", func(e Event) bool {
		return e.State == StateSignedIn && e.LastRenewal.Equal(renewed.ObtainedAt)
	})
	if c, _ := app.Held(t.Context()); c.RefreshToken != renewed.RefreshToken || c.RefreshToken == before.RefreshToken {
		t.Fatalf("the app holds %q, want the other process's %q", c.RefreshToken, renewed.RefreshToken)
	}

	// A sign-out in the other process signs the app out too.
	if err := cmd.Logout(t.Context()); !errors.Is(err, ErrRevocationUnsupported) {
		t.Fatalf("Logout gave %v, want ErrRevocationUnsupported from a provider without revocation", err)
	}
	e := states.await(t, 2*time.Second, "the sign-out elsewhere", func(e Event) bool { return e.State == StateSignedOut })
	if !errors.Is(e.Err, ErrSignedOutElsewhere) {
		t.Errorf("the sign-out event carries %v, want ErrSignedOutElsewhere", e.Err)
	}
	if _, err := app.Credentials(t.Context(), 0); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("the app's Credentials gave %v after the sign-out elsewhere, want ErrNoCredentials", err)
	}
}

func TestLogoutWithoutRevocationEndpointSaysSo(t *testing.T) {
	op := newFakeOP(t)
	store := &memStore{}
	m, _ := op.signedIn(t, store, time.Minute, manual)
	if err := m.Logout(t.Context()); !errors.Is(err, ErrRevocationUnsupported) {
		t.Fatalf("Logout gave %v, want ErrRevocationUnsupported", err)
	}
	if keys := store.Keys(); len(keys) != 0 {
		t.Fatalf("the store holds %v after Logout, want nothing (no queue either: it could never be sent)", keys)
	}
}

func TestLogoutWaitsForNoLockForever(t *testing.T) {
	op := newFakeOP(t)
	store := &memStore{}
	m, _ := op.signedIn(t, store, time.Minute, manual)
	// Another process holds the lock and does not let go.
	held, err := m.store.lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if err := m.Logout(ctx); err == nil {
		t.Fatal("Logout succeeded without the lock, want a reported failure")
	}
	if storedRefreshToken(t, store) != "refresh-0" || !hasValid(t.Context(), m, 0) {
		t.Fatal("a failed Logout changed something, want nothing half done")
	}
}

func TestKnownRefreshLifetimeEndsTheSession(t *testing.T) {
	op := newFakeOP(t)
	store := &memStore{}
	now := time.Now()
	c := &Credentials{AccessToken: "a", TokenType: "Bearer", RefreshToken: "r", IDToken: op.idToken("alice", now),
		Expiry: now.Add(-time.Minute), RefreshExpiry: now.Add(-time.Second), ObtainedAt: now.Add(-time.Hour)}
	b, _ := c.marshal()
	_ = store.Set(t.Context(), "creds", b)
	m, err := New(Config{Issuer: op.srv.URL, ClientID: "fake-client", Store: store, StoreKey: "creds", LockDir: t.TempDir(), ManualRenewal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Credentials(t.Context(), 0); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("got %v, want ErrSessionExpired: the refresh token's known lifetime is over", err)
	}
	if n := len(op.calls()); n != 0 {
		t.Fatalf("%d refresh requests, want none with a refresh token known to have expired", n)
	}
	if st := m.State(); st.State != StateEnded || !errors.Is(st.Err, ErrSessionExpired) {
		t.Fatalf("state %+v, want ended because the session expired", st)
	}
}

func TestKeepInMemory(t *testing.T) {
	op := newFakeOP(t)
	store := &failingStore{}
	m, _ := op.signedIn(t, store, time.Minute, manual)
	// The renewal's answer cannot be stored (the rewrite before it could).
	store.fail, store.failAfter = true, 1
	if _, err := m.Renew(t.Context()); !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("Renew gave %v, want ErrKeychainUnavailable", err)
	}
	// The person agrees to keep the session for this run only.
	m.KeepInMemory()
	c, err := m.Credentials(t.Context(), 0)
	if err != nil || c.AccessToken == "access-0" {
		t.Fatalf("Credentials gave %v, %v; want the renewed credentials, from memory", c, err)
	}
	if _, err := m.Renew(t.Context()); err != nil {
		t.Fatalf("a renewal in memory gave %v, want success", err)
	}
	if got := storedRefreshToken(t, &store.memStore); got != "refresh-0" {
		t.Fatalf("the keychain holds %q, want refresh-0 untouched: nothing goes there any more", got)
	}
}

// A sign-in that the keychain cannot store is not thrown away: with the
// person's consent, KeepInMemory signs them in with it, with no second
// trip to the browser (the real provider, a store refusing writes).
func TestASignInTheKeychainRefusedIsKept(t *testing.T) {
	e := newEnv(t, time.Hour)
	store := &failingStore{fail: true}
	e.store = store
	m := e.manager(manual)
	b := testbrowser.NewBrowser(e.peer.user, e.peer.password)
	if _, err := m.LoginWithBrowser(bg(t), BrowserLogin{OpenURL: b.OpenURL}); !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("a sign-in the store refused gave %v; want ErrKeychainUnavailable", err)
	}
	if _, err := m.Held(bg(t)); !errors.Is(err, ErrNoCredentials) && !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("before the person chose, Held gave %v; want nobody signed in yet", err)
	}
	events := make(chan Event, 8)
	stop := m.Subscribe(func(e Event) { events <- e })
	defer stop()
	m.KeepInMemory()
	c, err := m.Credentials(bg(t), 0)
	if err != nil || c.subject() != e.peer.subject {
		t.Fatalf("after KeepInMemory: %v, %v; want %s signed in, from the sign-in already made", c, err, e.peer.subject)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == StateSignedIn {
				if n := len(store.memStore.Keys()); n != 0 {
					t.Fatalf("the refusing store holds %d items; want none", n)
				}
				return
			}
		case <-deadline:
			t.Fatal("no signed-in event within 5 s of KeepInMemory")
		}
	}
}

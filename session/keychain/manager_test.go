//go:build linux

package keychain_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/keyringtest"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/session"
	"github.com/latchapp/latch/session/keychain"
)

// world is a session on the real keychain, against the real test
// provider: a service of the test's own in the keychain, the provider,
// and a count of the refresh requests that reached it.
type world struct {
	t         *testing.T
	op        *oidcprovider.Provider
	service   string
	lockDir   string
	refreshes atomic.Int32
}

func newWorld(t *testing.T) *world {
	t.Helper()
	keyringtest.Require(t)
	w := &world{
		t:       t,
		op:      oidcprovider.Start(t, oidcprovider.Options{AccessTokenTTL: time.Minute}),
		service: fmt.Sprintf("latch-test-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano()),
		lockDir: t.TempDir(),
	}
	t.Cleanup(func() {
		// Whatever a failed test left in the keychain goes.
		_ = w.manager(func(c *session.Config) { c.ManualRenewal = true }).Logout(context.Background())
	})
	return w
}

// manager is a Manager on the world's provider and on store (nil: the
// world's service in the real keychain).
func (w *world) managerOn(store session.Store, adjust ...func(*session.Config)) *session.Manager {
	w.t.Helper()
	if store == nil {
		store = keychain.New(w.service)
	}
	cfg := session.Config{
		Issuer: w.op.Issuer, ClientID: oidcprovider.ClientID, Store: store, StoreKey: "creds", LockDir: w.lockDir,
		HTTPClient: &http.Client{Transport: countRefreshes{&w.refreshes}, Timeout: 30 * time.Second},
	}
	for _, f := range adjust {
		f(&cfg)
	}
	return sessiontest.NewManager(w.t, cfg)
}

func (w *world) manager(adjust ...func(*session.Config)) *session.Manager {
	w.t.Helper()
	return w.managerOn(nil, adjust...)
}

// login signs in through the browser as alice.
func (w *world) login(m *session.Manager) *session.Credentials {
	w.t.Helper()
	return sessiontest.Login(w.t, m, "alice", oidcprovider.Accounts["alice"])
}

// refreshCode spends refreshToken at the provider, outside Latch, and
// returns the OAuth error code ("" on success).
func (w *world) refreshCode(m *session.Manager, refreshToken string) string {
	w.t.Helper()
	p, err := m.Provider(w.t.Context())
	if err != nil {
		w.t.Fatal(err)
	}
	resp, err := http.PostForm(p.TokenEndpoint, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {oidcprovider.ClientID},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return ""
	}
	if i := bytes.Index(body, []byte(`"error":"`)); i >= 0 {
		code := body[i+len(`"error":"`):]
		return string(code[:bytes.IndexByte(code, '"')])
	}
	return resp.Status
}

// countRefreshes counts the refresh requests sent through it.
type countRefreshes struct{ n *atomic.Int32 }

func (c countRefreshes) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			b, _ := io.ReadAll(body)
			if bytes.Contains(b, []byte("grant_type=refresh_token")) {
				c.n.Add(1)
			}
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

func manual(c *session.Config) { c.ManualRenewal = true }

func withAPIs(c *session.Config) {
	c.APIs = map[string]session.API{
		"orders":  {Audience: oidcprovider.OrdersAPI, Scopes: []string{oidcprovider.OrdersRead}},
		"billing": {Audience: oidcprovider.BillingAPI, Scopes: []string{oidcprovider.BillingRead}},
	}
}

func withDPoP(c *session.Config) { c.DPoP = true }

func TestRealKeychainHoldsSessionUntilLogout(t *testing.T) {
	w := newWorld(t)
	m := w.manager(manual)
	creds := w.login(m)
	if n := keyringtest.Items(t, w.service); n < 1 {
		t.Fatalf("the keychain holds %d items after sign-in, want the credentials", n)
	}
	// A new Manager (the next launch) finds the session in the keychain.
	next := w.manager(manual)
	got, err := next.Held(t.Context())
	if err != nil || got.RefreshToken != creds.RefreshToken || !got.ValidFor(time.Now(), 10*time.Second) {
		t.Fatalf("the next launch read back %v, %v; want the same valid session", got, err)
	}
	if err := next.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := keyringtest.Items(t, w.service); n != 0 {
		t.Fatalf("the keychain still holds %d items after Logout, want none", n)
	}
	if code := w.refreshCode(m, creds.RefreshToken); code != "invalid_grant" {
		t.Fatalf("the refresh token after logout answered %q, want invalid_grant", code)
	}
}

// TestRealKeychainWriteFailureSpendsNothing breaks the real keychain's
// writes when a renewal is due: the refresh token is not spent (the
// provider is not asked), the credentials stay readable there, and once
// writes work the renewal goes through.
func TestRealKeychainWriteFailureSpendsNothing(t *testing.T) {
	w := newWorld(t)
	broken := &keychain.FaultyBackend{Backend: keychain.RealBackend}
	m := w.managerOn(&keychain.Store{Service: w.service, Backend: broken}, manual)
	first := w.login(m)

	refreshes := w.refreshes.Load()
	broken.Fail() // the renewal's first write fails
	if _, err := m.Renew(t.Context()); !errors.Is(err, session.ErrKeychainUnavailable) {
		t.Fatalf("Renew with a failing keychain gave %v, want ErrKeychainUnavailable", err)
	}
	if n := w.refreshes.Load() - refreshes; n != 0 {
		t.Fatalf("%d refresh requests while the keychain failed its writes; want none", n)
	}
	// Another program reads the keychain meanwhile: the credentials,
	// whole.
	other := w.manager(manual)
	if c, err := other.Held(t.Context()); err != nil || c.RefreshToken != first.RefreshToken {
		t.Fatalf("the keychain gave %v, %v after the failed write, want the credentials as they were", c, err)
	}
	// Writes work again: the renewal spends the refresh token, which the
	// provider still takes, and the keychain holds its answer.
	c, err := m.Renew(t.Context())
	if err != nil || c.RefreshToken == first.RefreshToken {
		t.Fatalf("Renew gave %v, %v once writes work; want renewed credentials", c, err)
	}
	if stored, err := w.manager(manual).Held(t.Context()); err != nil || stored.RefreshToken != c.RefreshToken {
		t.Fatalf("the keychain holds %v, %v after the renewal; want the renewed credentials", stored, err)
	}
	if n := w.refreshes.Load() - refreshes; n != 1 {
		t.Fatalf("%d refresh requests in all; want one", n)
	}
}

func TestRealKeychainSignOutTakesNamedTokensAndKey(t *testing.T) {
	w := newWorld(t)
	m := w.manager(withAPIs, withDPoP) // watches the store
	w.login(m)
	signedIn := keyringtest.Items(t, w.service)
	for _, name := range []string{"orders", "billing"} {
		if _, err := m.NamedToken(name).Credentials(t.Context(), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if n := keyringtest.Items(t, w.service); n <= signedIn {
		t.Fatalf("the keychain holds %d items with two named tokens, %d without; want more", n, signedIn)
	}
	// The next launch finds the named tokens and the key there.
	next := w.manager(manual, withAPIs, withDPoP)
	if list, err := next.Tokens(t.Context()); err != nil || len(list) != 2 {
		t.Fatalf("the next launch lists %+v, %v; want two named tokens", list, err)
	}
	if h, err := next.Header(t.Context(), http.MethodGet, "http://127.0.0.1/api"); err != nil || h.Get("DPoP") == "" {
		t.Fatalf("the next launch cannot use the bound token: %v, %v", h, err)
	}
	if err := next.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := keyringtest.Items(t, w.service); n != 0 {
		t.Fatalf("the keychain still holds %d items after sign-out; want none (named tokens and the DPoP key go too)", n)
	}
	// The Manager that got the tokens notices within seconds.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := m.NamedToken("orders").Credentials(t.Context(), time.Second)
		if errors.Is(err, session.ErrNoCredentials) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after sign-out elsewhere a named token gave %v; want ErrNoCredentials", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRealKeychainRemovedKeyEndsTheSession(t *testing.T) {
	w := newWorld(t)
	store := keychain.New(w.service)
	m := w.managerOn(store, manual, withAPIs, withDPoP)
	w.login(m)
	// Another program removes the DPoP key, kept beside the credentials.
	const key = "creds.dpop"
	if err := store.Delete(t.Context(), key); err != nil {
		t.Fatalf("removing the key as another program would: %v", err)
	}
	// The Manager that holds the key in memory ends at its next renewal.
	if _, err := m.Renew(t.Context()); !errors.Is(err, session.ErrDPoPKeyLost) {
		t.Fatalf("renewing without the stored key gave %v; want ErrDPoPKeyLost", err)
	}
	if n := keyringtest.Items(t, w.service); n != 0 {
		t.Fatalf("the keychain holds %d items; want the ended session gone", n)
	}

	w.login(m)
	if err := store.Delete(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	// The next launch learns why the session cannot go on.
	next := w.manager(manual, withAPIs, withDPoP)
	_, err := next.Credentials(t.Context(), time.Second)
	if !errors.Is(err, session.ErrDPoPKeyLost) || !errors.Is(err, session.ErrSignInRequired) {
		t.Fatalf("a session without its key gave %v; want ErrDPoPKeyLost", err)
	}
	if s := next.State(); s.State != session.StateEnded || !errors.Is(s.Err, session.ErrDPoPKeyLost) {
		t.Fatalf("the state is %v (%v); want ended for the missing key", s.State, s.Err)
	}
	if n := keyringtest.Items(t, w.service); n != 0 {
		t.Fatalf("the keychain holds %d items; want the ended session gone", n)
	}
}

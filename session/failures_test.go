package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// storedRefreshToken is the refresh token stored under key ("creds" when
// none is given).
func storedRefreshToken(t *testing.T, s Store, key ...string) string {
	t.Helper()
	k := "creds"
	if len(key) > 0 {
		k = key[0]
	}
	b, err := s.Get(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := unmarshalCredentials(b)
	if err != nil {
		t.Fatal(err)
	}
	return c.RefreshToken
}

func TestTransientFailureKeepsCredentials(t *testing.T) {
	op := newFakeOP(t)
	store := &memStore{}
	m, _ := op.signedIn(t, store, time.Minute, manual)
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusBadGateway} {
		op.script(answer(status, ""))
		_, err := m.Renew(t.Context())
		if !errors.Is(err, ErrProviderUnreachable) || errors.Is(err, ErrSignInRequired) {
			t.Fatalf("%d: want ErrProviderUnreachable, got %v", status, err)
		}
		if m.State().State != StateOffline {
			t.Errorf("%d: state %v, want offline", status, m.State().State)
		}
		if storedRefreshToken(t, store) != "refresh-0" {
			t.Fatal("a transient failure changed the stored credentials")
		}
	}
	// The still-valid token is served meanwhile.
	c, err := m.Credentials(t.Context(), 10*time.Second)
	if err != nil || c.AccessToken != "access-0" {
		t.Fatalf("while offline Credentials gave %v, want the still-valid access-0", err)
	}
}

func TestMalformedTokenResponseLosesNothing(t *testing.T) {
	op := newFakeOP(t)
	store := &memStore{}
	m, _ := op.signedIn(t, store, time.Minute, manual)
	for name, body := range map[string]string{
		"not JSON":        "<html>oops</html>",
		"no access token": `{"token_type":"Bearer"}`,
		"tampered ID token": `{"access_token":"a","token_type":"Bearer","expires_in":60,"refresh_token":"r",` +
			`"id_token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0."}`,
		// Lines that git's credential protocol would read as its own.
		"line break in the access token":  `{"access_token":"a\nusername=attacker\nurl=https://mallory:stolen@attacker.example/","token_type":"Bearer","expires_in":60}`,
		"line break in the refresh token": `{"access_token":"a","token_type":"Bearer","expires_in":60,"refresh_token":"r\r\nX: y"}`,
		"a character above ASCII":         `{"access_token":"a\u00e9","token_type":"Bearer","expires_in":60}`,
		"a tab in the token type":         `{"access_token":"a","token_type":"Bearer\t","expires_in":60}`,
	} {
		op.script(answer(http.StatusOK, body))
		_, err := m.Renew(t.Context())
		if err == nil {
			t.Fatalf("%s: accepted, want an error", name)
		}
		if strings.Contains(name, "break") && (!errors.Is(err, ErrMalformedAnswer) || strings.Contains(err.Error(), "attacker") || strings.Contains(err.Error(), "X: y")) {
			t.Fatalf("%s: %v; want ErrMalformedAnswer, with nothing of the token", name, err)
		}
		if storedRefreshToken(t, store) != "refresh-0" {
			t.Fatalf("%s: stored credentials changed, want them kept", name)
		}
	}
}

func TestRenewalKeepsRefreshTokenWhenNoneReturned(t *testing.T) {
	op := newFakeOP(t)
	store := &memStore{}
	m, _ := op.signedIn(t, store, time.Minute, manual)
	op.script(answer(http.StatusOK, `{"access_token":"fresh","token_type":"Bearer","expires_in":60,"refresh_expires_in":3600}`))
	c, err := m.Renew(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessToken != "fresh" || c.RefreshToken != "refresh-0" || c.IDToken == "" {
		t.Fatalf("renewed %v, want access token fresh with refresh-0 and the ID token kept", c)
	}
	if d := time.Until(c.RefreshExpiry); d < 59*time.Minute || d > time.Hour {
		t.Errorf("refresh expiry %v, want in an hour (refresh_expires_in)", c.RefreshExpiry)
	}
	if storedRefreshToken(t, store) != "refresh-0" {
		t.Fatal("the kept refresh token was not stored")
	}
}

// failingStore fails its writes on demand: all of them, or from the
// (failAfter+1)th on.
type failingStore struct {
	memStore
	fail      bool
	failAfter int // with fail: the writes that still succeed first
}

func (s *failingStore) Set(ctx context.Context, key string, value []byte) error {
	if s.fail {
		if s.failAfter == 0 {
			return errors.Join(ErrKeychainUnavailable, errors.New("locked"))
		}
		s.failAfter--
	}
	return s.memStore.Set(ctx, key, value)
}

// A store that does not take a write now (a locked keychain, one that
// asks the person) costs no refresh token: nothing is sent to the
// provider, and once the store works the renewal goes through.
func TestNoRefreshTokenIsSpentThatCannotBeStored(t *testing.T) {
	op := newFakeOP(t)
	store := &failingStore{}
	m, _ := op.signedIn(t, store, time.Minute, manual)
	store.fail = true
	if _, err := m.Renew(t.Context()); !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("a renewal with the store refusing writes gave %v; want ErrKeychainUnavailable", err)
	}
	if n := len(op.calls()); n != 0 {
		t.Fatalf("%d refresh requests with the store refusing writes; want none", n)
	}
	if stored := storedRefreshToken(t, store); stored != "refresh-0" {
		t.Fatalf("the store holds the refresh token %q; want the first, refresh-0, kept", stored)
	}
	store.fail = false
	c, err := m.Renew(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if storedRefreshToken(t, store) != c.RefreshToken || c.RefreshToken == "refresh-0" || len(op.calls()) != 1 {
		t.Fatalf("once the store worked: %d refresh requests, stored %q, held %q; want one, and its answer stored", len(op.calls()), storedRefreshToken(t, store), c.RefreshToken)
	}
}

// A store that took the rewrite but fails the successor's write (it went
// away in between) keeps the renewed credentials in memory until a write
// works; the refresh token is not spent again meanwhile.
func TestStoreFailureAfterRenewalIsRetried(t *testing.T) {
	op := newFakeOP(t)
	store := &failingStore{}
	m, _ := op.signedIn(t, store, time.Minute, manual)
	store.fail, store.failAfter = true, 1
	if _, err := m.Renew(t.Context()); !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("want ErrKeychainUnavailable, got %v", err)
	}
	if _, err := m.Credentials(t.Context(), 0); !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("unsaved credentials gave %v, want ErrKeychainUnavailable until they are stored", err)
	}
	store.fail = false
	c, err := m.Credentials(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if storedRefreshToken(t, store) != c.RefreshToken || c.RefreshToken == "refresh-0" {
		t.Fatal("the renewed credentials were not saved once the store worked")
	}
	if len(op.calls()) != 1 {
		t.Fatalf("%d refresh requests, want 1: the renewed credentials reused", len(op.calls()))
	}
}

func TestSchedulerRetriesWithBackoff(t *testing.T) {
	op := newFakeOP(t)
	synctest.Test(t, func(t *testing.T) {
		start := time.Now() // the bubble's fake clock
		store := &memStore{}
		failures := 5
		op.script(func(w http.ResponseWriter, _ *http.Request) bool {
			if failures > 0 {
				failures--
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		m, _ := op.signedIn(t, store, 800*time.Millisecond, op.direct)
		var states []State
		var mu sync.Mutex
		defer m.Subscribe(func(e Event) { mu.Lock(); states = append(states, e.State); mu.Unlock() })()
		if !hasValid(t.Context(), m, 0) { // loads the store; the scheduler plans
			t.Fatal("the stored credentials are not valid")
		}
		// Renewal is due at 75-80% of 800 ms. The provider fails five
		// times: the three quick tries of the first renewal, then two of
		// the second, which the scheduler starts after its backoff.
		time.Sleep(10 * time.Second)
		synctest.Wait()
		calls := op.calls()
		if len(calls) != 6 {
			t.Fatalf("%d attempts, want 6 (five failures and a success)", len(calls))
		}
		if due := calls[0].Sub(start); due < 600*time.Millisecond || due > 640*time.Millisecond {
			t.Errorf("first attempt at %v, want at 75-80%% of the lifetime", due)
		}
		quick := []time.Duration{calls[1].Sub(calls[0]), calls[2].Sub(calls[1]), calls[4].Sub(calls[3]), calls[5].Sub(calls[4])}
		if !slices.Equal(quick, []time.Duration{250 * time.Millisecond, 750 * time.Millisecond, 250 * time.Millisecond, 750 * time.Millisecond}) {
			t.Errorf("quick retries %v apart, want 250ms then 750ms within each renewal", quick)
		}
		if gap := calls[3].Sub(calls[2]); gap < 800*time.Millisecond || gap > 1200*time.Millisecond {
			t.Errorf("the scheduler tried again %v after the first renewal failed, want its backoff of 1s ± 20%%", gap)
		}
		mu.Lock()
		if !slices.Contains(states, StateOffline) || states[len(states)-1] != StateSignedIn {
			t.Errorf("states %v, want offline during the failures and signed in at the end", states)
		}
		mu.Unlock()
		if storedRefreshToken(t, store) == "refresh-0" {
			t.Fatal("the renewed credentials were not stored")
		}
	})
}

func TestDeviceLoginSlowsDown(t *testing.T) {
	op := newFakeOP(t)
	synctest.Test(t, func(t *testing.T) {
		polls := 0
		op.script(func(w http.ResponseWriter, _ *http.Request) bool {
			polls++
			if polls == 1 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"slow_down"}`))
				return true
			}
			return false
		})
		cfg := Config{Issuer: op.srv.URL, ClientID: "fake-client", Store: &memStore{}, LockDir: t.TempDir(), ManualRenewal: true}
		op.direct(&cfg)
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		d, err := m.StartDeviceLogin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if d.UserCode != "ABCD-EFGH" || d.Interval != time.Second {
			t.Fatalf("device login %+v, want code ABCD-EFGH polled every second", d)
		}
		if _, err := d.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		calls := op.calls()
		if len(calls) != 2 {
			t.Fatalf("%d polls, want 2", len(calls))
		}
		if gap := calls[1].Sub(calls[0]); gap != 6*time.Second {
			t.Fatalf("after slow_down the next poll came %v later, want the interval + 5 s = 6s", gap)
		}
	})
}

func TestDeviceLoginDeniedAndExpired(t *testing.T) {
	for _, code := range []string{"access_denied", "expired_token"} {
		op := newFakeOP(t)
		op.script(answer(http.StatusBadRequest, `{"error":"`+code+`"}`))
		m, err := New(Config{Issuer: op.srv.URL, ClientID: "fake-client", Store: &memStore{}, LockDir: t.TempDir(), ManualRenewal: true})
		if err != nil {
			t.Fatal(err)
		}
		d, err := m.StartDeviceLogin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Wait(t.Context())
		var pe *ProviderError
		if !errors.As(err, &pe) || pe.Code != code {
			t.Fatalf("got %v, want a provider error with code %s", err, code)
		}
		m.Close()
	}
}

func TestNoTokenInErrorsOrStrings(t *testing.T) {
	op := newFakeOP(t)
	store := &memStore{}
	m, creds := op.signedIn(t, store, time.Minute, manual)
	op.script(answer(http.StatusBadRequest, `{"error":"invalid_grant","error_description":"grant request is invalid"}`))
	_, err := m.Renew(t.Context())
	for _, s := range []string{err.Error(), fmt.Sprint(creds), fmt.Sprint(m.State())} {
		for _, secret := range []string{creds.AccessToken, creds.RefreshToken, creds.IDToken} {
			if strings.Contains(s, secret) {
				t.Fatalf("%q shows a token, want none", s)
			}
		}
	}
	if m.State().State != StateEnded {
		t.Fatalf("state %v, want ended", m.State().State)
	}
}

func TestDiscoveryWithoutNeededEndpoints(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"issuer":"` + srv.URL + `","authorization_endpoint":"` + srv.URL + `/a","jwks_uri":"` + srv.URL + `/k"}`))
	})
	_, err := discover(t.Context(), http.DefaultClient, srv.URL)
	if !errors.Is(err, ErrClientRejected) || !strings.Contains(err.Error(), "no token_endpoint") {
		t.Fatalf("want a discovery error naming token_endpoint, got %v", err)
	}
}

func TestCredentialsNeverPrintATokenHoweverFormatted(t *testing.T) {
	c := Credentials{AccessToken: "secret-access", RefreshToken: "secret-refresh", IDToken: "secret-id", TokenType: "Bearer",
		Scope: "openid", Expiry: time.Now()}
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		fmt.Fprintf(&out, verb+"\n", c)
		fmt.Fprintf(&out, verb+"\n", &c)
	}
	slog.New(slog.NewJSONHandler(&out, nil)).Info("renewed", "creds", c, "ptr", &c)
	slog.New(slog.NewTextHandler(&out, nil)).Info("renewed", "creds", c, "ptr", &c)
	b, err := json.Marshal(map[string]any{"value": c, "pointer": &c})
	if err != nil {
		t.Fatal(err)
	}
	out.Write(b)
	for _, secret := range []string{"secret-access", "secret-refresh", "secret-id"} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("%q shows up in:\n%s\nwant no token in any output", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), `"refresh_token":true`) {
		t.Errorf("the JSON log does not say a refresh token is held:\n%s", out.String())
	}
}

func TestDeviceLoginRefusesAddressesThatAreNotWeb(t *testing.T) {
	for _, uri := range []string{"javascript:alert(1)", "file:///etc/passwd", "latch://x"} {
		op := newFakeOP(t)
		op.verificationURI = uri
		m, err := New(Config{Issuer: op.srv.URL, ClientID: "fake-client", Store: &memStore{}, LockDir: t.TempDir(), ManualRenewal: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.StartDeviceLogin(t.Context()); !errors.Is(err, ErrClientRejected) {
			t.Errorf("verification_uri %q gave %v, want it refused", uri, err)
		}
		m.Close()
	}
}

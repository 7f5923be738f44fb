//go:build linux

package session

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/keyringtest"
)

func TestRealKeychainHoldsSessionUntilLogout(t *testing.T) {
	realKeychain(t)
	e := newEnv(t, time.Minute)
	service := testService(t)
	e.store = NewKeychain(service)
	m := e.manager(manual)
	creds := e.login(m)
	if n := keyringtest.Items(t, service); n < 1 {
		t.Fatalf("the keychain holds %d items after sign-in, want the credentials", n)
	}
	// A new Manager (the next launch) finds the session in the keychain.
	next := e.manager(manual)
	if !next.HasValid(bg(t), 10*time.Second) {
		t.Fatal("the stored session is not valid on the next launch")
	}
	got, err := next.Current(bg(t))
	if err != nil || got.RefreshToken != creds.RefreshToken {
		t.Fatalf("another Manager read back %v, want the same refresh token", err)
	}
	if err := next.Logout(bg(t)); err != nil {
		t.Fatal(err)
	}
	if n := keyringtest.Items(t, service); n != 0 {
		t.Fatalf("the keychain still holds %d items after Logout, want none", n)
	}
	if code := e.refreshDirectly(creds.RefreshToken); code != "invalid_grant" {
		t.Fatalf("the refresh token after logout answered %q, want invalid_grant", code)
	}
}

// TestRealKeychainWriteFailureLosesNothing breaks the real keychain's
// writes during a rotation: the previous credentials stay readable there,
// the new ones stay in memory, and they are written once writes work.
func TestRealKeychainWriteFailureLosesNothing(t *testing.T) {
	e := newEnv(t, time.Minute)
	broken := &faultyBackend{SecretBackend: realKeychain(t)}
	service := testService(t)
	e.store = &Keychain{Service: service, Backend: broken}
	m := e.manager(manual)
	first := e.login(m)
	t.Cleanup(func() { _ = NewKeychain(service).Delete(context.Background(), m.cfg.StoreKey) })

	broken.mu.Lock()
	broken.failAt = broken.writes + 1 // the rotation's first write fails
	broken.mu.Unlock()
	if _, err := m.Renew(bg(t)); !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("Renew with a failing keychain gave %v, want ErrKeychainUnavailable", err)
	}
	// Another program reads the keychain meanwhile: the previous
	// credentials, whole.
	other := &Keychain{Service: service}
	b, err := other.Get(bg(t), m.cfg.StoreKey)
	if err != nil {
		t.Fatalf("the keychain gave %v after the failed write, want the previous credentials", err)
	}
	if c, _ := unmarshalCredentials(b); c.RefreshToken != first.RefreshToken {
		t.Fatal("the keychain holds something else after the failed write, want the previous credentials")
	}
	// Writes work again: the renewed credentials, kept in memory, are
	// written, and the provider is not asked again.
	refreshes := len(e.rec.grants("refresh_token"))
	c, err := m.Credentials(bg(t), 0)
	if err != nil || c.RefreshToken == first.RefreshToken {
		t.Fatalf("Credentials gave %v, %v; want the renewed credentials", c, err)
	}
	if b, err = other.Get(bg(t), m.cfg.StoreKey); err != nil {
		t.Fatal(err)
	}
	if stored, _ := unmarshalCredentials(b); stored.RefreshToken != c.RefreshToken {
		t.Fatal("the renewed credentials were not written once the keychain worked, want them stored")
	}
	if n := len(e.rec.grants("refresh_token")); n != refreshes {
		t.Fatalf("%d more refresh requests, want none: the renewed token is reused", n-refreshes)
	}
}

func TestRealKeychainSignOutTakesNamedTokensAndKey(t *testing.T) {
	realKeychain(t)
	e := newEnv(t, time.Minute)
	service := testService(t)
	e.store = NewKeychain(service)
	m := e.manager(withAPIs, withDPoP) // watches the store
	e.login(m)
	signedIn := keyringtest.Items(t, service)
	for _, name := range []string{"orders", "billing"} {
		if _, err := m.NamedToken(name).Credentials(bg(t), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if n := keyringtest.Items(t, service); n <= signedIn {
		t.Fatalf("the keychain holds %d items with two named tokens, %d without; want more", n, signedIn)
	}
	// The next launch finds the named tokens and the key there.
	next := e.manager(manual, withAPIs, withDPoP)
	if list, err := next.Tokens(bg(t)); err != nil || len(list) != 2 {
		t.Fatalf("the next launch lists %+v, %v; want two named tokens", list, err)
	}
	if _, err := next.Header(bg(t), http.MethodGet, "http://127.0.0.1/api"); err != nil {
		t.Fatalf("the next launch cannot use the bound token: %v", err)
	}
	if err := next.Logout(bg(t)); err != nil {
		t.Fatal(err)
	}
	if n := keyringtest.Items(t, service); n != 0 {
		t.Fatalf("the keychain still holds %d items after sign-out; want none (named tokens and the DPoP key go too)", n)
	}
	// The Manager that got the tokens notices within seconds.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := m.NamedToken("orders").Credentials(bg(t), time.Second)
		if errors.Is(err, ErrNoCredentials) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after sign-out elsewhere a named token gave %v; want ErrNoCredentials", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRealKeychainRemovedKeyEndsTheSession(t *testing.T) {
	realKeychain(t)
	e := newEnv(t, time.Minute)
	service := testService(t)
	store := NewKeychain(service)
	e.store = store
	m := e.manager(manual, withAPIs, withDPoP)
	e.login(m)
	key := m.Config().StoreKey + ".dpop"
	if err := store.Delete(bg(t), key); err != nil {
		t.Fatalf("removing the key as another program would: %v", err)
	}
	// The Manager that holds the key in memory ends at its next renewal.
	if _, err := m.Renew(bg(t)); !errors.Is(err, ErrDPoPKeyMissing) {
		t.Fatalf("renewing without the stored key gave %v; want ErrDPoPKeyMissing", err)
	}
	if n := keyringtest.Items(t, service); n != 0 {
		t.Fatalf("the keychain holds %d items; want the ended session gone", n)
	}

	e.login(m)
	if err := store.Delete(bg(t), key); err != nil {
		t.Fatal(err)
	}
	// The next launch learns why the session cannot go on.
	next := e.manager(manual, withAPIs, withDPoP)
	_, err := next.Credentials(bg(t), time.Second)
	if !errors.Is(err, ErrDPoPKeyMissing) || !errors.Is(err, ErrSignInRequired) {
		t.Fatalf("a session without its key gave %v; want ErrDPoPKeyMissing", err)
	}
	if s := next.State(); s.State != StateEnded || !errors.Is(s.Err, ErrDPoPKeyMissing) {
		t.Fatalf("the state is %v (%v); want ended for the missing key", s.State, s.Err)
	}
	if n := keyringtest.Items(t, service); n != 0 {
		t.Fatalf("the keychain holds %d items; want the ended session gone", n)
	}
}

func TestChangedKeyEndsTheSession(t *testing.T) {
	e := newEnv(t, time.Minute)
	m := e.manager(manual, withDPoP)
	e.login(m)
	other, err := newDPoPKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := other.marshal()
	if err := e.store.Set(bg(t), m.Config().StoreKey+".dpop", b); err != nil {
		t.Fatal(err)
	}
	_, err = m.Renew(bg(t))
	if !errors.Is(err, ErrDPoPKeyChanged) {
		t.Fatalf("renewing with another key stored gave %v; want ErrDPoPKeyChanged", err)
	}
	if s := m.State(); s.State != StateEnded || !errors.Is(s.Err, ErrDPoPKeyChanged) {
		t.Fatalf("the state is %v (%v); want ended for the changed key", s.State, s.Err)
	}
}

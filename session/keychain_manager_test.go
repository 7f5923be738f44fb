//go:build linux

package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"latch/internal/keyringtest"
)

func TestRealKeychainHoldsSessionUntilLogout(t *testing.T) {
	realKeychain(t)
	e := newEnv(t, time.Minute)
	service := testService(t)
	e.store = NewKeychain(service)
	m := e.manager(manual)
	creds := e.login(m)
	if n := keyringtest.Items(t, service); n < 2 {
		t.Fatalf("the keychain holds %d items after sign-in, want a manifest and a chunk at least", n)
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

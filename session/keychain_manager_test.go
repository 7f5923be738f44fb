//go:build linux

package session

import (
	"latch/internal/keyringtest"
	"testing"
	"time"
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

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
		t.Fatalf("the keychain holds %d items after sign-in", n)
	}
	// A new Manager (the next launch) finds the session in the keychain.
	next := e.manager(manual)
	if !next.HasValid(bg(t), 10*time.Second) {
		t.Fatal("the stored session is not valid on the next launch")
	}
	got, err := next.Current(bg(t))
	if err != nil || got.RefreshToken != creds.RefreshToken {
		t.Fatalf("read back: %v", err)
	}
	if err := next.Logout(bg(t)); err != nil {
		t.Fatal(err)
	}
	if n := keyringtest.Items(t, service); n != 0 {
		t.Fatalf("the keychain still holds %d items of Latch after Logout", n)
	}
	if code := e.refreshDirectly(creds.RefreshToken); code != "invalid_grant" {
		t.Fatalf("refresh token after logout: %q", code)
	}
}

// Package sessiontest gives tests outside package session a Manager signed
// in to the real test provider (see oidctest).
package sessiontest

import (
	"context"
	"testing"
	"time"

	"latch/internal/oidctest"
	"latch/session"
)

// Signed is a Manager signed in as a test account, with what it runs on.
type Signed struct {
	Provider *oidctest.Provider
	Manager  *session.Manager
	Store    *session.MemoryStore
	Creds    *session.Credentials
}

// SignIn starts a provider, makes a Manager on a MemoryStore and signs in
// through the browser as username. The Manager is closed when the test
// ends.
func SignIn(t testing.TB, username string, adjust ...func(*session.Config)) *Signed {
	t.Helper()
	op := oidctest.Start(t, oidctest.Options{})
	store := &session.MemoryStore{}
	cfg := session.Config{Issuer: op.Issuer, ClientID: oidctest.ClientID, Store: store, LockDir: t.TempDir()}
	for _, f := range adjust {
		f(&cfg)
	}
	m, err := session.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b := oidctest.NewBrowser(username, oidctest.Accounts[username])
	creds, err := m.LoginWithBrowser(ctx, session.BrowserLogin{OpenURL: b.OpenURL})
	if err != nil {
		t.Fatalf("sign-in as %s: %v", username, err)
	}
	return &Signed{Provider: op, Manager: m, Store: store, Creds: creds}
}

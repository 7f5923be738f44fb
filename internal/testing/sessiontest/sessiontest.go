// Package sessiontest gives tests outside package session a Manager signed
// in to the real test provider (see oidcprovider).
package sessiontest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/testbrowser"
	"github.com/latchapp/latch/session"
)

// Signed is a Manager signed in as a test account, with what it runs on.
type Signed struct {
	Provider *oidcprovider.Provider
	Manager  *session.Manager
	Store    *Store
	Creds    *session.Credentials
}

// SignIn starts a provider, makes a Manager on a [Store] and signs in
// through the browser as username. The Manager is closed when the test
// ends.
func SignIn(t testing.TB, username string, adjust ...func(*session.Config)) *Signed {
	t.Helper()
	op := oidcprovider.Start(t, oidcprovider.Options{})
	store := &Store{}
	cfg := session.Config{Issuer: op.Issuer, ClientID: oidcprovider.ClientID, Store: store, LockDir: t.TempDir()}
	for _, f := range adjust {
		f(&cfg)
	}
	m := NewManager(t, cfg)
	creds := Login(t, m, username, oidcprovider.Accounts[username])
	return &Signed{Provider: op, Manager: m, Store: store, Creds: creds}
}

// NewManager makes a Manager of cfg, closed when the test ends.
func NewManager(t testing.TB, cfg session.Config) *session.Manager {
	t.Helper()
	m, err := session.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// Login signs in on m through the test browser as username, with
// password, within a minute.
func Login(t testing.TB, m *session.Manager, username, password string) *session.Credentials {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b := testbrowser.NewBrowser(username, password)
	creds, err := m.LoginWithBrowser(ctx, session.BrowserLogin{OpenURL: b.OpenURL})
	if err != nil {
		t.Fatalf("sign-in as %s: %v", username, err)
	}
	return creds
}

// Rewrite changes the credentials that store holds (its only key), as
// JSON, for states a provider cannot be made to produce on demand: an
// expired token at launch, a refresh token revoked long ago.
func Rewrite(t testing.TB, store *Store, change func(c map[string]any)) {
	t.Helper()
	keys := store.Keys()
	if len(keys) != 1 {
		t.Fatalf("the store holds %v, want one set of credentials", keys)
	}
	raw, err := store.Get(t.Context(), keys[0])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	change(c)
	raw, _ = json.Marshal(c)
	if err := store.Set(t.Context(), keys[0], raw); err != nil {
		t.Fatal(err)
	}
}

package latchapp

import (
	"context"
	"errors"
	"net/url"

	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

// AccountSummary is one account as the account lists show it (latch
// accounts, the app's switcher): read from the keychain alone, with no
// network.
type AccountSummary struct {
	Name string
	// Provider is the provider's host, or "sandbox".
	Provider string
	// Person is who is signed in; zero when nobody is.
	Person profile.Profile
	// SignedIn says a session is held.
	SignedIn bool
	// State is the session's state as latch status words it ("signed
	// in", "ended", "signed out"), and Ended, when it ended, why.
	State string
	Ended error
	// Err says why the account cannot be read (its configuration, or the
	// keychain).
	Err error
	// InMemory says the session is held in memory only, by the program
	// that lists it (the person chose it when the keychain could not be
	// used); the keychain knows nothing of it.
	InMemory bool
}

// ProviderHost names the provider in lists: "sandbox", or the issuer's
// host.
func (c Config) ProviderHost() string {
	if c.Sandbox {
		return "sandbox"
	}
	if u, err := url.Parse(c.Issuer); err == nil && u.Host != "" {
		return u.Host
	}
	return c.Issuer
}

// Summarize reads who is signed in to a, from the keychain alone.
func Summarize(ctx context.Context, a *Account) AccountSummary {
	s := AccountSummary{Name: a.Config.Account, Provider: a.Config.ProviderHost()}
	creds, err := a.Manager.Held(ctx)
	// Reading the keychain tells the state, as latch status says it
	// (without status's renewal of an expired access token).
	ev := a.Manager.State()
	s.State = ev.State.String()
	if ev.State == session.StateEnded {
		s.Ended = ev.Err
	}
	switch {
	case errors.Is(err, session.ErrNoCredentials):
		return s
	case errors.Is(err, session.ErrSignInRequired):
		s.State, s.Ended = session.StateEnded.String(), err
		return s
	case err != nil:
		s.Err = err
		return s
	}
	s.SignedIn = true
	s.Person, _ = Person(creds)
	return s
}

// CanSignOutAtProvider reports whether the account's provider can end its
// own browser session (see [session.Manager.LogoutWithBrowser]): its
// discovery names an end-session endpoint, or it is Auth0.
func (a *Account) CanSignOutAtProvider(ctx context.Context) (bool, error) {
	if a.Config.EndSessionEndpoint != "" {
		return true, nil
	}
	p, err := a.Manager.Provider(ctx)
	if err != nil {
		return false, err
	}
	return p.EndSessionEndpoint != "", nil
}

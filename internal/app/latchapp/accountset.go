package latchapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchapp/latch/session"
)

// Accounts are the accounts of one config file, as one run of Latch
// opens and changes them: what latch accounts and the app's switcher
// work with.
type Accounts struct {
	// File is the config file; empty for none.
	File string
	// Flags and Getenv are the run's settings: they are for the account
	// the run was started with (see [ChosenAccount]); the others are as
	// the config file says.
	Flags  Settings
	Getenv func(string) string
	// Options open each account.
	Options Options
}

// Chosen is the account the run was started with: --account, then
// LATCH_ACCOUNT, then the active one.
func (s *Accounts) Chosen() (string, error) {
	name, err := ChosenAccount(s.Flags, s.Getenv, s.File)
	if err != nil {
		return "", &ConfigError{Msg: err.Error()}
	}
	return name, nil
}

// Config is the configuration of the account name.
func (s *Accounts) Config(name string) (Config, error) {
	if chosen, err := s.Chosen(); err != nil || chosen == name {
		return LoadConfig(s.Flags, s.Getenv, s.File)
	}
	return LoadConfig(Settings{Account: name}, func(string) string { return "" }, s.File)
}

// Open opens the account name; close it when done.
func (s *Accounts) Open(ctx context.Context, name string) (*Account, error) {
	cfg, err := s.Config(name)
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg, s.Options)
}

// Names are the accounts, "default" first (see [AccountNames]).
func (s *Accounts) Names() ([]string, error) { return AccountNames(s.File) }

// List summarizes every account (see [Summarize]), from the keychain
// alone; one that cannot be opened says why in its Err.
func (s *Accounts) List(ctx context.Context) ([]AccountSummary, error) {
	names, err := s.Names()
	if err != nil {
		return nil, err
	}
	list := make([]AccountSummary, 0, len(names))
	for _, name := range names {
		a, err := s.Open(ctx, name)
		if err != nil {
			list = append(list, AccountSummary{Name: name, Err: err})
			continue
		}
		list = append(list, Summarize(ctx, a))
		a.Close()
	}
	return list, nil
}

// Add checks the provider that flags name (its discovery document), then
// saves the account name in the config file (see [SaveAccount]). Nothing
// is saved when the provider cannot be used.
func (s *Accounts) Add(ctx context.Context, name string, flags Settings) (Config, error) {
	cfg, err := NewAccountConfig(s.File, name, flags)
	if err != nil {
		return cfg, err
	}
	a, err := Open(ctx, cfg, s.Options)
	if err != nil {
		return cfg, err
	}
	defer a.Close()
	if err := a.CheckProvider(ctx); err != nil {
		return cfg, err
	}
	return a.Config, SaveAccount(s.File, name, flags)
}

// Remove signs out of the account name (revoking its refresh token), then
// takes it out of the config file; the active account becomes "default"
// when it was name. When the sign-out cannot be made, nothing is changed.
// The error is then the sign-out's; after a removal it is nil, or one
// saying the provider was not told (session.ErrRevocationPending,
// session.ErrRevocationUnsupported).
func (s *Accounts) Remove(ctx context.Context, name string) error {
	if name == DefaultAccount {
		return RemoveAccount(s.File, name) // says why not
	}
	a, err := s.Open(ctx, name)
	if err != nil {
		return err
	}
	signedOut := a.Manager.Logout(ctx)
	a.Close()
	if !SignedOut(signedOut) {
		return fmt.Errorf("the account %s is still signed in: %w", name, signedOut)
	}
	if err := RemoveAccount(s.File, name); err != nil {
		return err
	}
	return signedOut
}

// Switch makes name the active account (see [SwitchAccount]).
func (s *Accounts) Switch(name string) error { return SwitchAccount(s.File, name) }

// SignedOut says a sign-out that ended with err was made: err is nil, or
// says only that the provider was not told (session.ErrRevocationPending,
// session.ErrRevocationUnsupported). Any other error means nothing was
// changed.
func SignedOut(err error) bool {
	return err == nil || errors.Is(err, session.ErrRevocationPending) || errors.Is(err, session.ErrRevocationUnsupported)
}

package keychain

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/latchapp/latch/base/secretservice"
)

// Backend is the platform's secret storage, one small string per
// (service, user) pair, as github.com/zalando/go-keyring has it. A nil
// [Store.Backend] is the real one; tests give their own, or wrap it to
// inject failures.
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// system is the real Backend: github.com/zalando/go-keyring, with a
// quicker read of the same items where the platform allows, and, before a
// write, the first call that gnome-keyring needs from a client before it
// is asked for a session (both from the Secret Service client,
// base/secretservice). Before go-keyring's calls, the Secret Service
// client unlocks what they need, so that a keychain that asks the person
// is waited for until ctx ends, and said (asking), instead of go-keyring
// waiting without end.
type system struct {
	// ctx is the caller's; quick bounds a read that asks nobody.
	ctx    context.Context
	quick  time.Duration
	asking func(keeper string)
}

// newSystem is the real Backend for calls made within ctx.
func newSystem(ctx context.Context, quick time.Duration, asking func(keeper string)) system {
	return system{ctx: ctx, quick: quick, asking: asking}
}

func (s system) Get(service, user string) (string, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.quick)
	value, err := secretservice.Read(ctx, service, user)
	cancel()
	switch {
	case errors.Is(err, secretservice.ErrNotFound):
		return "", keyring.ErrNotFound
	case errors.Is(err, secretservice.ErrCannotAnswer):
		// A locked item, or no Secret Service to read quickly: go-keyring
		// reads, on a bus checked to be the person's own, once the item
		// is unlocked.
		if err := s.unlock(service); err != nil {
			return "", err
		}
		return keyring.Get(service, user)
	}
	return value, err
}

func (s system) Set(service, user, secret string) error {
	if err := secretservice.BeforeWrite(service, user); err != nil {
		return err
	}
	if err := s.unlock(service); err != nil {
		return err
	}
	return keyring.Set(service, user, secret)
}

func (s system) Delete(service, user string) error {
	if err := s.unlock(service); err != nil {
		return err
	}
	return keyring.Delete(service, user)
}

// unlock readies the items of service for go-keyring on Linux,
// asking the person if the keychain must (see [secretservice.Unlock]);
// nil elsewhere, and where there is no bus (go-keyring says so).
func (s system) unlock(service string) error {
	if err := busChecked(); err != nil || runtime.GOOS != "linux" {
		return err
	}
	switch err := secretservice.Unlock(s.ctx, service, s.asking); {
	case errors.Is(err, secretservice.ErrDismissed), err != nil && s.ctx.Err() != nil:
		return err
	default:
		// Unlocked; or no bus, or a keychain that cannot be asked so:
		// go-keyring's own calls then say what is wrong.
		return nil
	}
}

// busChecked checks, before go-keyring dials the session bus on Linux,
// that the person's own process holds it; nil elsewhere, and where there
// is no bus (the probe says so).
func busChecked() error {
	if runtime.GOOS != "linux" {
		return nil
	}
	if err := secretservice.CheckBus(); err != nil && !errors.Is(err, secretservice.ErrNoSession) {
		return err
	}
	return nil
}

package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Timeouts of a sign-out: waiting for another process's renewal to end,
// and telling the provider.
const (
	logoutLockTimeout = 10 * time.Second
	revokeTimeout     = 10 * time.Second
)

// clear removes the credentials from memory and the store, without
// telling the provider.
func (m *Manager) clear(ctx context.Context) error {
	lock, err := m.vault.lock(ctx)
	if err != nil {
		return err
	}
	defer lock.release()
	return m.clearLocked(ctx)
}

// clearLocked is clear under the lock.
func (m *Manager) clearLocked(ctx context.Context) error {
	err := m.vault.remove(ctx)
	m.vault.clearEnded()
	m.mu.Lock()
	m.loaded = err == nil // when not removed, the next read sees what is there
	m.setLocked(nil, false)
	m.mu.Unlock()
	m.publish(StateSignedOut, err)
	return err
}

// Logout signs out, here and in every program that shares the store.
// Under the cross-process lock (so that no renewal in another process can
// write credentials back), it reads what is stored, queues its refresh
// token for revocation in the store, and removes the credentials, the
// named tokens and the DPoP key. Then it asks the provider to revoke
// (RFC 7009) every token queued, this sign-out's and those of earlier
// ones the provider could not be told of, bounded to a few seconds. With
// nobody signed in, it only does the latter.
//
// Errors: the lock not taken in time, or the store failing, are reported
// with nothing changed. After the local sign-out: [ErrRevocationPending]
// when the provider could not be told yet (it will be, by the next
// Logout, sign-in or background work of any Manager on this store);
// [ErrRevocationUnsupported] when the provider cannot revoke, and the
// refresh token stays valid there until it expires.
func (m *Manager) Logout(ctx context.Context) error {
	if err := m.signOutLocally(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	_, err := m.sendRevocations(ctx)
	return err
}

func (m *Manager) signOutLocally(ctx context.Context) error {
	lockCtx, cancel := context.WithTimeout(ctx, logoutLockTimeout)
	lock, err := m.vault.lock(lockCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("signing out: %w", err)
	}
	defer lock.release()
	stored, err := m.vault.read(ctx)
	if err != nil && !errors.Is(err, ErrCorruptValue) {
		return fmt.Errorf("signing out: %w", err)
	}
	m.mu.Lock()
	mem, dirty := m.session.creds, m.dirty
	m.mu.Unlock()
	revoke := []*Credentials{stored}
	if dirty {
		revoke = append(revoke, mem)
	}
	if err := m.queueRevocationsLocked(ctx, revoke...); err != nil {
		return fmt.Errorf("signing out: %w", err)
	}
	return m.clearLocked(ctx)
}

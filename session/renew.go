package session

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// backoff is how long the scheduler waits after the n-th failure in a row:
// exponential from 1 second to a minute, with ±20% of jitter so that
// several processes do not retry together, and never less than the
// provider's Retry-After (itself at most maxRetryAfter).
func backoff(n int, after time.Duration) time.Duration {
	d := min(time.Second<<min(n-1, 6), time.Minute)
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return max(d, after)
}

// spendLocked spends current's refresh token once, under the lock: spend
// gets current's DPoP key (nil: not bound) and returns the session's
// credentials from the provider's answer. They are stored before anything
// else, since the refresh token spent may be gone (when the store fails,
// memory keeps them until a write works). A refusal that ends the
// session, or a key that is gone, ends it by endedLocked, whose result is
// returned.
func (m *Manager) spendLocked(ctx context.Context, current *Credentials, spend func(key *dpopKey) (*Credentials, error)) (*Credentials, error) {
	if !current.CanRenew(m.now()) {
		return nil, fmt.Errorf("no usable refresh token is held: %w", ErrSessionExpired)
	}
	key, err := m.loadKey(ctx, current)
	if err == nil {
		var renewed *Credentials
		if renewed, err = spend(key); err == nil {
			if err := m.vault.write(ctx, renewed); err != nil {
				m.set(renewed, true)
				return nil, err
			}
			m.set(renewed, false)
			return renewed, nil
		}
	}
	if errors.Is(err, ErrSignInRequired) {
		return m.endedLocked(ctx, current, err)
	}
	return nil, err
}

// lockSynced takes the cross-process lock and reconciles memory with the
// store (see syncLocked): it returns the session's credentials as they
// now are, and the lock, which the caller releases. Nobody signed in is
// [ErrNoCredentials].
func (m *Manager) lockSynced(ctx context.Context) (*Credentials, *fileLock, error) {
	lock, err := m.vault.lock(ctx)
	if err != nil {
		return nil, nil, err
	}
	current, err := m.syncLocked(ctx)
	if err == nil && current == nil {
		err = ErrNoCredentials
	}
	if err != nil {
		lock.release()
		return nil, nil, err
	}
	return current, lock, nil
}

// endedLocked follows the provider's refusal of rejected's refresh token:
// it removes the stored credentials only when they still hold that token
// (compare and delete). When another writer stored others meanwhile, they
// are adopted instead.
func (m *Manager) endedLocked(ctx context.Context, rejected *Credentials, refusal error) (*Credentials, error) {
	stored, err := m.vault.read(ctx)
	switch {
	case err != nil:
		m.log.Warn("re-reading the store after a refused renewal failed; keeping it", "error", err)
	case stored != nil && stored.RefreshToken != rejected.RefreshToken:
		m.set(stored, false)
		return stored.clone(), nil
	case stored != nil:
		if err := m.vault.remove(ctx); err != nil {
			m.log.Warn("removing ended credentials failed", "error", err)
		}
		m.vault.noteEnded(refusal, m.now())
	}
	m.set(nil, false)
	return nil, refusal
}

// syncLocked reconciles memory with the store, under the lock, and
// returns the credentials now current (nil: signed out). Credentials that
// only memory holds (a store write failed) are written when the store
// still holds what they were renewed from; when the store moved on (a
// sign-out or a sign-in elsewhere), they are orphans: their refresh token
// is queued for revocation and the store's state is taken.
func (m *Manager) syncLocked(ctx context.Context) (*Credentials, error) {
	m.mu.Lock()
	mem, dirty, from := m.session.creds, m.dirty, m.dirtyFrom
	m.mu.Unlock()
	stored, err := m.vault.read(ctx)
	if err != nil {
		if mem == nil {
			return nil, err
		}
		m.log.Warn("reading the store failed; using the credentials in memory", "error", err)
		return mem, nil
	}
	if dirty {
		if stored != nil && stored.RefreshToken == from {
			if err := m.vault.write(ctx, mem); err != nil {
				return nil, err
			}
			m.mu.Lock()
			if m.session.creds == mem {
				m.setLocked(mem, false)
			}
			m.mu.Unlock()
			return mem, nil
		}
		m.log.Info("the store moved on while renewed credentials waited to be saved; revoking them")
		if err := m.queueRevocationsLocked(ctx, mem); err != nil {
			m.log.Warn("queueing the orphaned refresh token for revocation failed", "error", err)
		}
	}
	if !dirty && same(mem, stored) {
		return mem, nil
	}
	m.set(stored, false)
	return stored, nil
}

// same reports whether a and b are the same credentials.
func same(a, b *Credentials) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.RefreshToken == b.RefreshToken && a.AccessToken == b.AccessToken && a.ObtainedAt.Equal(b.ObtainedAt)
}

// endLocked ends the session after the provider refused current's refresh
// token for reason, or its key is gone (see endedLocked), and says so.
func (m *Manager) endLocked(ctx context.Context, current *Credentials, reason error) {
	if _, err := m.endedLocked(ctx, current, reason); err != nil {
		m.publish(StateEnded, err)
	}
}

package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// renewTimeout bounds one renewal: lock, store and refresh request.
const renewTimeout = time.Minute

// renew joins the renewal in flight or starts one, and publishes what
// became of it. force renews even credentials that are still valid.
func (m *Manager) renew(ctx context.Context, minTTL time.Duration, force bool) (*Credentials, error) {
	return m.renewals.do(ctx, func() (*Credentials, error) {
		ctx, cancel := context.WithTimeout(m.ctx, renewTimeout)
		defer cancel()
		before := m.State().State
		m.publish(StateRenewing, nil)
		creds, err := m.renewLocked(ctx, minTTL, force)
		switch {
		case err == nil:
			m.publish(StateSignedIn, nil)
		case errors.Is(err, ErrNoCredentials):
			m.publish(StateSignedOut, nil)
		case errors.Is(err, ErrSignInRequired):
			m.publish(StateEnded, err)
		case errors.Is(err, ErrProviderUnreachable):
			m.publish(StateOffline, err)
		default:
			if before == StateRenewing || before == StateUnknown {
				before = StateSignedIn
			}
			m.publish(before, err)
		}
		return creds, err
	})
}

// renewLocked does one renewal under the cross-process lock: it re-reads
// the store (another process may have renewed, signed in or signed out
// meanwhile), spends the refresh token only when that is still needed,
// and stores the result before it becomes current.
func (m *Manager) renewLocked(ctx context.Context, minTTL time.Duration, force bool) (*Credentials, error) {
	p, verifier, err := m.providers.get(ctx)
	if err != nil {
		return nil, err
	}
	lock, err := m.vault.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer lock.release()

	m.mu.Lock()
	mem, dirty := m.creds, m.dirty
	m.mu.Unlock()

	current := mem
	if !dirty {
		stored, err := m.vault.read(ctx)
		switch {
		case err != nil && mem == nil:
			return nil, err
		case err != nil:
			m.log.Warn("re-reading the store before renewal failed; using the credentials in memory", "error", err)
		case stored == nil:
			// Signed out by another process.
			m.set(nil, false)
			return nil, ErrNoCredentials
		default:
			current = stored
			if mem == nil || stored.RefreshToken != mem.RefreshToken || stored.ObtainedAt.After(mem.ObtainedAt) {
				// Another process renewed (or signed in) meanwhile.
				m.set(stored, false)
				if (force && mem != nil) || (!force && stored.ValidFor(m.clock.Now(), minTTL)) {
					m.log.Debug("adopted credentials renewed by another process")
					return stored.clone(), nil
				}
			}
		}
	}
	if current == nil {
		return nil, ErrNoCredentials
	}
	if !current.CanRenew(m.clock.Now()) {
		return nil, fmt.Errorf("no usable refresh token is held: %w", ErrSessionExpired)
	}

	renewed, err := m.refresher.refresh(ctx, p, verifier, current)
	if errors.Is(err, ErrSignInRequired) {
		// The refresh token is dead: the session has ended.
		if derr := m.vault.remove(ctx); derr != nil {
			m.log.Warn("removing ended credentials failed", "error", derr)
		}
		m.set(nil, false)
	}
	if err != nil {
		return nil, err
	}
	if err := m.vault.write(ctx, renewed); err != nil {
		// Keep them in memory: the old refresh token may be spent already.
		m.set(renewed, true)
		return nil, err
	}
	m.set(renewed, false)
	m.log.Debug("renewed", "expiry", renewed.Expiry)
	return renewed.clone(), nil
}

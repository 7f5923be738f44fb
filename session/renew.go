package session

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// renewTimeout bounds one renewal: lock, store and refresh requests.
const renewTimeout = time.Minute

// quickRetries is how often a renewal is tried again at once when the
// provider fails for a moment (a reset connection, a 502 from a proxy);
// longer outages are left to the scheduler's backoff.
var quickRetries = []time.Duration{250 * time.Millisecond, 750 * time.Millisecond}

// renew joins the renewal in flight or starts one, and publishes what
// became of it. force renews even credentials that are still valid.
func (m *Manager) renew(ctx context.Context, minTTL time.Duration, force bool) (*Credentials, error) {
	return m.renewals.do(ctx, func() (*Credentials, error) {
		ctx, cancel := context.WithTimeout(m.ctx, renewTimeout)
		defer cancel()
		before := m.State().State
		m.publish(StateRenewing, nil)
		creds, err := m.renewWithRetries(ctx, minTTL, force)
		m.noteOutcome(err)
		switch {
		case err == nil:
			m.publish(StateSignedIn, nil)
		case errors.Is(err, ErrNoCredentials):
			m.publish(StateSignedOut, ErrSignedOutElsewhere)
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

// renewWithRetries renews, trying again at once after a failure that the
// provider says is brief.
func (m *Manager) renewWithRetries(ctx context.Context, minTTL time.Duration, force bool) (*Credentials, error) {
	for attempt := 0; ; attempt++ {
		creds, err := m.renewLocked(ctx, minTTL, force)
		if err == nil || !errors.Is(err, ErrProviderUnreachable) || attempt == len(quickRetries) {
			return creds, err
		}
		wait := quickRetries[attempt]
		var pe *ProviderError
		if errors.As(err, &pe) && pe.RetryAfter > wait {
			return creds, err // the provider asked for a longer pause
		}
		select {
		case <-ctx.Done():
			return creds, err
		case <-time.After(wait):
		}
	}
}

// backoff is how long the scheduler waits after the n-th failure in a row:
// exponential from 1 second to a minute, with ±20% of jitter so that
// several processes do not retry together, and never less than the
// provider's Retry-After (itself at most maxRetryAfter).
func backoff(n int, after time.Duration) time.Duration {
	d := min(time.Second<<min(n-1, 6), time.Minute)
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return max(d, after)
}

// noteOutcome keeps what a renewal's failure means for the next ones.
func (m *Manager) noteOutcome(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil || !errors.Is(err, ErrProviderUnreachable) {
		m.failures, m.retryAt, m.lastFailure = 0, time.Time{}, nil
		m.offlineUntil.Store(nil)
		return
	}
	m.failures++
	var after time.Duration
	var pe *ProviderError
	if errors.As(err, &pe) {
		after = pe.RetryAfter
	}
	m.retryAt = m.clock.Now().Add(backoff(m.failures, after))
	m.lastFailure = err
	m.offlineUntil.Store(&offlineState{retryAt: m.retryAt, err: err})
}

// scheduledRenewal is the scheduler's renewal. It says when to try again:
// at the backoff after a transient failure, never after the provider
// rejected the client (the configuration must change first).
func (m *Manager) scheduledRenewal(ctx context.Context) (retry time.Time, err error) {
	_, err = m.renew(ctx, 0, true)
	switch {
	case err == nil, errors.Is(err, ErrSignInRequired), errors.Is(err, ErrNoCredentials):
		return time.Time{}, err
	case errors.Is(err, ErrClientRejected), errors.Is(err, ErrTokenType):
		m.log.Warn("the provider refuses this client; renewal stops until the configuration changes", "error", err)
		return never, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.retryAt.IsZero() {
		return m.clock.Now().Add(backoff(1, 0)), err
	}
	return m.retryAt, err
}

// renewLocked does one renewal under the cross-process lock: it reconciles
// memory with the store (another process may have renewed, signed in or
// signed out meanwhile), spends the refresh token only when that is still
// needed, and stores the result before it becomes current.
func (m *Manager) renewLocked(ctx context.Context, minTTL time.Duration, force bool) (*Credentials, error) {
	p, verifier, err := m.providers.get(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	before := m.creds
	m.mu.Unlock()
	current, lock, err := m.lockSynced(ctx)
	if err != nil {
		return nil, err
	}
	defer lock.release()
	switch {
	case !force && current.ValidFor(m.clock.Now(), minTTL):
		// Renewed meanwhile, here (a flight that ended as this caller
		// came) or in another process.
		return current.clone(), nil
	case force && current != before && before != nil && current.RefreshToken != before.RefreshToken:
		m.log.Debug("adopted credentials renewed by another process")
		return current.clone(), nil
	}
	renewed, err := m.spendLocked(ctx, current, func(key *dpopKey) (*Credentials, error) {
		return m.refresher.refresh(ctx, p, verifier, current, key)
	})
	if err != nil || renewed == nil {
		return renewed, err
	}
	m.log.Debug("renewed", "expiry", renewed.Expiry)
	return renewed.clone(), nil
}

// spendLocked spends current's refresh token once, under the lock: spend
// gets current's DPoP key (nil: not bound) and returns the session's
// credentials from the provider's answer. They are stored before anything
// else, since the refresh token spent may be gone (when the store fails,
// memory keeps them until a write works). A refusal that ends the
// session, or a key that is gone, ends it by endedLocked, whose result is
// returned.
func (m *Manager) spendLocked(ctx context.Context, current *Credentials, spend func(key *dpopKey) (*Credentials, error)) (*Credentials, error) {
	if !current.CanRenew(m.clock.Now()) {
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
	mem, dirty, from := m.creds, m.dirty, m.dirtyFrom
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
			if m.creds == mem {
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

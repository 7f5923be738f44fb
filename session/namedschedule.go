package session

import (
	"context"
	"errors"
	"time"
)

// namedRenewal renews one named token ahead of its expiry, as the
// session's scheduler renews the session: a scheduler of its own, run
// until the token goes or the Manager closes.
type namedRenewal struct {
	s      *scheduler
	cancel context.CancelFunc
	token  string // the access token planned on
	// failures counts the renewals in a row that failed for a transient
	// reason.
	failures int
}

// planNamedLocked starts, plans and stops the background renewal of the
// named tokens held, unless renewal is manual. m.mu is held.
func (m *Manager) planNamedLocked() {
	if m.scheduler == nil || m.ctx.Err() != nil {
		return
	}
	for name, r := range m.namedRenewals {
		if _, ok := m.named[name]; !ok {
			r.cancel()
			delete(m.namedRenewals, name)
		}
	}
	for name, rec := range m.named {
		r, ok := m.namedRenewals[name]
		if !ok {
			ctx, cancel := context.WithCancel(m.ctx)
			r = &namedRenewal{cancel: cancel}
			r.s = newScheduler(m.clock, m.cfg.RenewAt, m.log,
				func(ctx context.Context) (time.Time, error) { return m.scheduledNamed(ctx, name) },
				func() {}, // it expires; the session's own end is told by its scheduler
				m.sessionCanRenew)
			if m.namedRenewals == nil {
				m.namedRenewals = make(map[string]*namedRenewal)
			}
			m.namedRenewals[name] = r
			go r.s.run(ctx)
		}
		if r.token != rec.Token.AccessToken {
			r.token = rec.Token.AccessToken
			r.s.plan(rec.credentials())
		}
	}
}

// sessionCanRenew reports whether the session's refresh token can still
// be used at now: what a named token's renewal needs.
func (m *Manager) sessionCanRenew(_ *Credentials, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.creds.CanRenew(now)
}

// scheduledNamed is the background renewal of the named token name. It
// says when to try again after a failure: at the backoff after a
// transient one, never after the provider refused the API.
func (m *Manager) scheduledNamed(ctx context.Context, name string) (time.Time, error) {
	m.mu.Lock()
	rec, ok := m.named[name]
	r := m.namedRenewals[name]
	m.mu.Unlock()
	if !ok || r == nil {
		return time.Time{}, nil
	}
	replace := rec.Token.AccessToken
	_, err := m.namedFlight(name).do(ctx, func() (*Credentials, error) {
		ctx, cancel := context.WithTimeout(m.ctx, renewTimeout)
		defer cancel()
		return m.requestNamed(ctx, name, nil, 0, replace)
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case err == nil, errors.Is(err, ErrSignInRequired), errors.Is(err, ErrNoCredentials):
		r.failures = 0
		return time.Time{}, err
	case errors.Is(err, ErrProviderUnreachable):
		r.failures++
		var after time.Duration
		var pe *ProviderError
		if errors.As(err, &pe) {
			after = pe.RetryAfter
		}
		return m.clock.Now().Add(backoff(r.failures, after)), err
	}
	m.log.Warn("a named token cannot be renewed; it is asked for again when used", "name", name, "error", err)
	return never, err
}

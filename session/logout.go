package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
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
	return m.sendRevocations(ctx)
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

// queueRevocationsLocked adds the refresh tokens of creds (their access
// tokens when they hold none) to the durable queue. The lock is held.
func (m *Manager) queueRevocationsLocked(ctx context.Context, creds ...*Credentials) error {
	q, err := m.vault.revocations(ctx)
	if err != nil && !errors.Is(err, ErrCorruptValue) {
		return err
	}
	n := len(q)
	for _, c := range creds {
		if c == nil {
			continue
		}
		r := revocation{Token: c.RefreshToken, Hint: "refresh_token"}
		if r.Token == "" {
			r = revocation{Token: c.AccessToken, Hint: "access_token"}
		}
		if r.Token != "" && !slices.Contains(q, r) {
			q = append(q, r)
		}
	}
	if len(q) == n {
		return nil
	}
	return m.vault.setRevocations(ctx, q)
}

// PendingRevocations is the number of tokens that sign-outs queued and
// the provider has not been told of yet: for a status that says the
// provider still holds a session signed out here (see
// [ErrRevocationPending]). It reads the store only.
func (m *Manager) PendingRevocations(ctx context.Context) (int, error) {
	q, err := m.vault.revocations(ctx)
	return len(q), err
}

// sendRevocations asks the provider to revoke every queued token, and
// removes from the queue those it has heard of. It returns nil when the
// queue is empty, an error wrapping [ErrRevocationPending] when some are
// left, and [ErrRevocationUnsupported] when the provider cannot revoke
// (the queue is then dropped).
func (m *Manager) sendRevocations(ctx context.Context) error {
	q, err := m.vault.revocations(ctx)
	if err != nil || len(q) == 0 {
		return err
	}
	p, err := m.Provider(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRevocationPending, err)
	}
	if p.RevocationEndpoint == "" {
		if err := m.dropRevocations(ctx, q); err != nil {
			return err
		}
		return ErrRevocationUnsupported
	}
	var done []revocation
	var failed error
	for _, r := range q {
		err := m.revoke(ctx, p, r.Token, r.Hint)
		if err != nil && errors.Is(err, ErrProviderUnreachable) {
			failed = err
			break
		}
		if err != nil {
			m.log.Warn("the provider refused a revocation; dropping it", "error", err)
		}
		done = append(done, r)
	}
	if err := m.dropRevocations(ctx, done); err != nil {
		return err
	}
	if failed != nil {
		return fmt.Errorf("%w: %w", ErrRevocationPending, failed)
	}
	return nil
}

// dropRevocations removes done from the queue, under the lock.
func (m *Manager) dropRevocations(ctx context.Context, done []revocation) error {
	if len(done) == 0 {
		return nil
	}
	lock, err := m.vault.lock(ctx)
	if err != nil {
		return err
	}
	defer lock.release()
	q, err := m.vault.revocations(ctx)
	if err != nil && !errors.Is(err, ErrCorruptValue) {
		return err
	}
	q = slices.DeleteFunc(q, func(r revocation) bool { return slices.Contains(done, r) })
	return m.vault.setRevocations(ctx, q)
}

// revocationRetry is how often queued revocations are tried again;
// revocationStart is how long after the first read of the store a
// long-running Manager first looks at the queue, so that a launch reads
// the keychain once before it shows anything.
const (
	revocationRetry = time.Minute
	revocationStart = 3 * time.Second
)

// retryRevocationsLater is retryRevocations after revocationStart, unless
// the Manager is closed first.
func (m *Manager) retryRevocationsLater() {
	select {
	case <-m.ctx.Done():
		return
	case <-time.After(revocationStart):
	}
	m.retryRevocations()
}

// retryRevocations sends queued revocations in the background, and tries
// again every minute while the provider cannot be reached, until the
// Manager is closed.
func (m *Manager) retryRevocations() {
	if !m.revoking.CompareAndSwap(false, true) {
		return
	}
	defer m.revoking.Store(false)
	for {
		ctx, cancel := context.WithTimeout(m.ctx, revokeTimeout)
		err := m.sendRevocations(ctx)
		cancel()
		if !errors.Is(err, ErrRevocationPending) {
			return
		}
		select {
		case <-m.ctx.Done():
			return
		case <-time.After(revocationRetry):
		}
	}
}

// revoke asks the provider to revoke token (RFC 7009).
func (m *Manager) revoke(ctx context.Context, p *Provider, token, hint string) error {
	form := url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {m.cfg.ClientID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.RevocationEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revocation: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := m.http.Do(req)
	if errors.Is(err, ErrClientRejected) {
		return fmt.Errorf("revocation: %w", err) // a redirect to another origin
	}
	if err != nil {
		return fmt.Errorf("revocation: %w: %w", ErrProviderUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return readProviderError("revocation", resp)
}

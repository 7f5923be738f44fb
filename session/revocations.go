package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// The queue of revocations: the tokens of sign-outs that the provider
// has not been told of yet, kept in the store (".revoke") until it has.
// Two files of the lock folder, which hold no secret, go with it: a mark
// that the queue is not empty, so that any Manager that reaches the
// provider can tell without a keychain read that there is something to
// send; and when the provider was last told of a sign-out, for a status.

// revocation is a token that the provider is still to be asked to revoke.
type revocation struct {
	Token string `json:"token"`
	Hint  string `json:"hint"`
}

// revocationsKey names the queue of revocations in the store.
func (v *sessionStore) revocationsKey() string { return v.key + ".revoke" }

// revocations returns the queued revocations.
func (v *sessionStore) revocations(ctx context.Context) ([]revocation, error) {
	b, err := v.current().Get(ctx, v.revocationsKey())
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var q []revocation
	if err := json.Unmarshal(b, &q); err != nil {
		return nil, fmt.Errorf("%w: revocation queue: %w", ErrCorruptValue, err)
	}
	return q, nil
}

// setRevocations replaces the queue, and marks whether it holds any.
// The caller holds the lock.
func (v *sessionStore) setRevocations(ctx context.Context, q []revocation) error {
	var b []byte
	if len(q) > 0 {
		var err error
		if b, err = json.Marshal(q); err != nil {
			return err
		}
	}
	if err := v.put(ctx, v.revocationsKey(), b, "the revocation queue"); err != nil {
		return err
	}
	if len(q) > 0 {
		v.writeFile(v.pendingPath, "")
	} else {
		_ = os.Remove(v.pendingPath)
	}
	return nil
}

// revocationsMarked reports whether the mark says the queue holds
// revocations.
func (v *sessionStore) revocationsMarked() bool {
	_, err := os.Lstat(v.pendingPath)
	return err == nil
}

// noteRevoked keeps when the provider was last told of a sign-out.
func (v *sessionStore) noteRevoked(at time.Time) {
	v.writeFile(v.sentPath, at.UTC().Format(time.RFC3339))
}

// lastRevoked is when the provider was last told of a sign-out, zero when
// never.
func (v *sessionStore) lastRevoked() time.Time {
	b, err := os.ReadFile(v.sentPath)
	if err != nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
	return t
}

// revocationRetry is how often queued revocations are tried again;
// revocationStart is how long after the first read of the store a
// long-running Manager first looks at the queue, so that a launch reads
// the keychain once before it shows anything.
const (
	revocationRetry = time.Minute
	revocationStart = 3 * time.Second
)

// queueRevocationsLocked adds the refresh tokens of creds (their access
// tokens when they hold none) to the durable queue. The lock is held.
func (m *Manager) queueRevocationsLocked(ctx context.Context, creds ...*Credentials) error {
	q, err := m.store.revocations(ctx)
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
	return m.store.setRevocations(ctx, q)
}

// SendRevocations tells the provider of the sign-outs it has not heard
// of yet, when there are any (a sign-out made while it could not be
// reached), and says how that stands: how many tokens are still to be
// revoked, and when the provider was last told of a sign-out (zero when
// never, as far as this computer knows). With nothing queued it asks
// nothing of the network: a status display calls it. Sign-in, renewals
// and [Manager.Logout] send the queue by themselves, and a Manager with
// background renewal retries it every minute.
//
// Errors: those of the store; [ErrRevocationPending] (with pending > 0)
// when the provider still cannot be reached; [ErrRevocationUnsupported]
// when it cannot revoke, and the queue was dropped.
func (m *Manager) SendRevocations(ctx context.Context) (pending int, lastSent time.Time, err error) {
	pending, err = m.sendRevocations(ctx)
	return pending, m.store.lastRevoked(), err
}

// sendRevocations asks the provider to revoke every queued token, and
// removes from the queue those it has heard of. It returns how many are
// left: with an error wrapping [ErrRevocationPending] when there are any,
// and [ErrRevocationUnsupported] when the provider cannot revoke (the
// queue is then dropped).
func (m *Manager) sendRevocations(ctx context.Context) (int, error) {
	q, err := m.store.revocations(ctx)
	if err != nil || len(q) == 0 {
		return len(q), err
	}
	p, err := m.Provider(ctx)
	if err != nil {
		return len(q), fmt.Errorf("%w: %w", ErrRevocationPending, err)
	}
	if p.RevocationEndpoint == "" {
		left, err := m.dropRevocations(ctx, q)
		if err != nil {
			return left, err
		}
		return left, ErrRevocationUnsupported
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
	left := len(q)
	if len(done) > 0 {
		if left, err = m.dropRevocations(ctx, done); err != nil {
			return left, err
		}
		m.store.noteRevoked(m.now())
	}
	if failed != nil {
		return left, fmt.Errorf("%w: %w", ErrRevocationPending, failed)
	}
	return left, nil
}

// dropRevocations removes done from the queue, under the lock, and
// returns how many are left (another process may have queued more).
func (m *Manager) dropRevocations(ctx context.Context, done []revocation) (int, error) {
	lock, err := m.store.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer lock.Release()
	q, err := m.store.revocations(ctx)
	if err != nil && !errors.Is(err, ErrCorruptValue) {
		return len(q), err
	}
	q = slices.DeleteFunc(q, func(r revocation) bool { return slices.Contains(done, r) })
	return len(q), m.store.setRevocations(ctx, q)
}

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

// sendQueuedRevocations sends the revocations queued, when the sessionStore's
// mark says there are any, now that the provider answers: after a
// renewal or a sign-in. The mark is a file, so that the usual case costs
// no keychain read.
func (m *Manager) sendQueuedRevocations(ctx context.Context) {
	if !m.store.revocationsMarked() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	if _, err := m.sendRevocations(ctx); err != nil && !errors.Is(err, ErrRevocationUnsupported) {
		m.log.Info("the provider could not be told of an earlier sign-out yet", "error", err)
	}
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
		_, err := m.sendRevocations(ctx)
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
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	addClient(form, m.cfg.ClientID, m.cfg.ClientSecret)
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

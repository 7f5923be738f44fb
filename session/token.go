package session

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// token is one access token that a [Manager] holds, hands out and renews:
// the session's own (name "") or a named token for one API (see
// [NamedToken]). Both are the same machinery:
//
//   - a value that the hot path reads without a lock and without
//     allocating (hotValue), published whenever what is held changes;
//   - a single flight of renewals (inflight), run on a goroutine of its
//     own, so that callers share one request and one impatient caller
//     cannot cancel it for the others;
//   - a schedule that renews ahead of expiry (scheduler), and a backoff
//     after transient failures, during which callers learn at once that
//     the provider cannot be reached;
//   - a record in the store (see records.go), written under the
//     cross-process lock.
//
// They differ in what a renewal spends and keeps (refresh for the
// session's credentials; a token for one API, whose rotated refresh token
// goes to the session), and in that the session's own token publishes the
// session's state.
type token struct {
	m    *Manager
	name string // "": the session's own
	// want is the API a named token is declared for in [Config.APIs]; nil
	// when it is not declared, and then it is for the API it was issued
	// for, as stored.
	want *API

	hot    atomic.Pointer[hotValue]
	flight inflight
	sched  *scheduler // nil with Config.ManualRenewal
	// offline is the last renewal's transient failure and the backoff
	// after it; nil after a renewal that did not fail so.
	offline atomic.Pointer[offlineState]

	// Under m.mu:
	creds    *Credentials // held; nil: none
	api      API          // what creds were issued for (named tokens)
	failures int          // transient renewal failures in a row
}

// hotValue is a token as the hot path hands it out: never changed once
// published, and shared by every caller, as oauth2.ReuseTokenSource's
// token is. It fills a cache line of its own (64 bytes, a size class
// whose objects are aligned to it), so that no object that another
// goroutine writes shares the line that every caller reads: a 32-byte
// one would sit beside others of that size, such as the testing.PB that
// each of a parallel benchmark's workers writes on every iteration, and
// the callers would wait on the line moving between the cores.
type hotValue struct {
	c   *Credentials
	tok *oauth2.Token
	// expires is c.Expiry in Unix nanoseconds, 0 for none: one integer
	// comparison instead of time.Time's arithmetic.
	expires int64
	// owner is, for a named token, the session's hot value it was
	// published with: a token of another session (or of none) is not
	// handed out. Nil for the session's own.
	owner *hotValue
	_     [32]byte
}

// offlineState is a transient failure, and when the next renewal is due.
type offlineState struct {
	retryAt time.Time
	err     error
}

// renewTimeout bounds one renewal: lock, store and token requests. It is
// long: a renewal runs on its own, after its callers gave up, so that a
// provider that answers late still has its answer stored; one that is
// cut short may leave the provider with a rotated refresh token that
// this side never saw.
const renewTimeout = 2 * time.Minute

// quickRetries is how often a renewal is tried again at once when the
// provider fails for a moment (a reset connection, a 502 from a proxy);
// longer outages are left to the scheduler's backoff.
var quickRetries = []time.Duration{250 * time.Millisecond, 750 * time.Millisecond}

// newToken makes a token of m and, unless renewal is manual, starts its
// schedule, which runs until m is closed.
func (m *Manager) newToken(name string, want *API) *token {
	t := &token{m: m, name: name, want: want}
	if !m.cfg.ManualRenewal {
		t.sched = newScheduler(m.now, m.cfg.RenewAt, m.log, t.scheduled, t.expired, t.canRenew)
		go t.sched.run(m.ctx)
	}
	return t
}

// own reports whether t is the session's own token.
func (t *token) own() bool { return t.name == "" }

// unixExpiry is an expiry for the hot path: Unix nanoseconds, 0 for none.
func unixExpiry(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// hotGet returns the token when the hot path has one valid for minTTL.
func (t *token) hotGet(minTTL time.Duration) (*hotValue, bool) {
	h := t.hot.Load()
	if h == nil || (h.expires != 0 && t.m.now().UnixNano()+int64(minTTL) >= h.expires) {
		return nil, false
	}
	if h.owner != nil && h.owner != t.m.session.hot.Load() {
		return nil, false
	}
	return h, true
}

// publishLocked hands what t holds to the hot path when it can be handed
// out as it is, and withdraws it otherwise: the session's credentials
// once read from the store and stored (not while a failed write leaves
// them in memory only); a named token of the current session, for the
// API it is wanted for. m.mu is held.
func (t *token) publishLocked() {
	m := t.m
	var owner *hotValue
	c := t.creds
	if t.own() {
		if !m.loaded || m.dirty || c == nil || c.AccessToken == "" {
			t.hot.Store(nil)
			return
		}
	} else if owner = m.session.hot.Load(); owner == nil || t.usableLocked() == nil {
		t.hot.Store(nil)
		return
	}
	c = c.clone() // a copy of its own: what is held may be handed out otherwise
	t.hot.Store(&hotValue{c: c, tok: c.oauth2Token(), expires: unixExpiry(c.Expiry), owner: owner})
}

// usableLocked is what t holds when it can be used: for a named token,
// one of the current session and for the API it is wanted for; nil
// otherwise. m.mu is held.
func (t *token) usableLocked() *Credentials {
	c := t.creds
	if t.own() || c == nil {
		return c
	}
	if s := t.m.session.creds; s == nil || c.SessionID != s.SessionID || (t.want != nil && !t.api.equal(*t.want)) {
		return nil
	}
	return c
}

// held is what t holds and can use, without renewing it and without the
// network: memory, or the store the first time. For a named token,
// nobody signed in is [ErrNoCredentials].
func (t *token) held(ctx context.Context) (*Credentials, error) {
	session, err := t.m.load(ctx)
	if err != nil || t.own() {
		return session, err
	}
	if session == nil {
		return nil, ErrNoCredentials
	}
	if err := t.m.loadNamed(ctx); err != nil {
		return nil, err
	}
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.usableLocked(), nil
}

// get returns a token valid for at least minTTL: the one held, or a
// renewed one, stored before it is returned. See [Manager.Credentials].
func (t *token) get(ctx context.Context, minTTL time.Duration) (*Credentials, error) {
	if h, ok := t.hotGet(minTTL); ok {
		return h.c, nil
	}
	m := t.m
	if c, err, ok := t.flight.join(ctx); ok && (err != nil || c.ValidFor(m.now(), minTTL)) {
		// A renewal is under way (the moment a token expires, many callers
		// come at once): wait for it, taking no lock.
		return c, err
	}
	var c *Credentials
	if h := t.hot.Load(); h != nil && (h.owner == nil || h.owner == m.session.hot.Load()) {
		// Held and stored, but not valid for minTTL: a renewal follows,
		// started or joined without taking a lock.
		c = h.c
	} else {
		var err error
		if c, err = t.held(ctx); err != nil {
			return nil, err
		}
	}
	now := m.now()
	if c.ValidFor(now, minTTL) {
		if t.own() {
			// Credentials that a failed write left in memory only are
			// stored before they are handed out.
			if err := m.flush(ctx); err != nil {
				return nil, err
			}
		}
		return c.clone(), nil
	}
	if err := t.renewable(c, now); err != nil {
		return nil, err
	}
	if o := t.offline.Load(); o != nil && now.Before(o.retryAt) {
		// The last renewal failed for a transient reason and its retry is
		// not due: say so at once, instead of waiting for it again.
		return nil, o.err
	}
	return t.renew(ctx, minTTL, false)
}

// renewable says why t, holding c, cannot be renewed at now; nil when it
// can be tried.
func (t *token) renewable(c *Credentials, now time.Time) error {
	m := t.m
	if !t.own() {
		m.mu.Lock()
		c = m.session.creds
		known := t.want != nil || t.creds != nil
		m.mu.Unlock()
		if c != nil && !known {
			return t.errUnknownName()
		}
		if c != nil && t.want != nil {
			if err := m.granted(c, *t.want); err != nil {
				return err
			}
		}
	}
	switch {
	case c == nil:
		return ErrNoCredentials
	case !c.CanRenew(now):
		return fmt.Errorf("the access token expired and no refresh token is held: %w", ErrSessionExpired)
	}
	return nil
}

// renew joins the renewal in flight or starts one, and notes what became
// of it. force renews even a token that is still valid.
func (t *token) renew(ctx context.Context, minTTL time.Duration, force bool) (*Credentials, error) {
	return t.flight.do(ctx, func() (*Credentials, error) {
		ctx, cancel := context.WithTimeout(t.m.ctx, renewTimeout)
		defer cancel()
		before := t.m.State().State
		if t.own() {
			t.m.publish(StateRenewing, nil)
		}
		creds, err := t.renewWithRetries(ctx, minTTL, force)
		t.noteOutcome(err)
		if err == nil {
			// The provider answers: the sign-outs it has not heard of go
			// now.
			t.m.sendQueuedRevocations(ctx)
		}
		t.m.publishRenewal(t.own(), before, err)
		return creds, err
	})
}

// renewWithRetries renews, trying again at once after a failure that the
// provider says is brief.
func (t *token) renewWithRetries(ctx context.Context, minTTL time.Duration, force bool) (*Credentials, error) {
	for attempt := 0; ; attempt++ {
		creds, err := t.renewLocked(ctx, minTTL, force)
		if err == nil || !errors.Is(err, ErrProviderUnreachable) || errors.Is(err, errMaybeSpent) || attempt == len(quickRetries) {
			return creds, err // a request that may have spent the refresh token is not sent again
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

// renewLocked does one renewal under the cross-process lock: it reconciles
// memory with the store (another process may have renewed, signed in or
// signed out meanwhile), spends the session's refresh token only when that
// is still needed, and stores the result before it becomes current.
func (t *token) renewLocked(ctx context.Context, minTTL time.Duration, force bool) (*Credentials, error) {
	m := t.m
	p, verifier, err := m.providers.get(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	before := t.creds
	m.mu.Unlock()
	session, lock, err := m.lockSynced(ctx)
	if err != nil {
		return nil, err
	}
	defer lock.release()
	held, api, records, err := t.storedLocked(ctx, session)
	if err != nil {
		return nil, err
	}
	now := m.now()
	switch {
	case !force && held.ValidFor(now, minTTL):
		// Renewed meanwhile, here (a flight that ended as this caller
		// came) or in another process.
		return held.clone(), nil
	case force && held != nil && before != nil && held.AccessToken != before.AccessToken && held.ValidFor(now, minTTL):
		m.log.Debug("adopted a token renewed by another process", "name", t.name)
		return held.clone(), nil
	}
	var own *Credentials
	got, err := m.spendLocked(ctx, session, func(key *dpopKey) (*Credentials, error) {
		if t.own() {
			return m.refresher.refresh(ctx, p, verifier, session, key)
		}
		renewed, named, err := m.refresher.named(ctx, p, session, key, api)
		own = named
		return renewed, err
	})
	if err != nil {
		return nil, err
	}
	if t.own() {
		// The renewed credentials, or what another process stored after
		// the provider refused the ones spent.
		m.log.Debug("renewed", "expiry", got.Expiry)
		return got.clone(), nil
	}
	if own == nil {
		// Another process's sign-in came between; nothing was issued.
		return nil, fmt.Errorf("%s: the session changed meanwhile; try again", opNamedToken)
	}
	records[t.name] = recordOf(api, own)
	if err := m.vault.writeNamed(ctx, records); err != nil {
		m.log.Warn("saving a named token failed; it is kept in memory", "name", t.name, "error", err)
	}
	m.setNamed(records)
	m.log.Debug("named token issued", "name", t.name, "expiry", own.Expiry)
	return own.clone(), nil
}

// storedLocked is what the store holds for t, under the lock, given the
// session's credentials as stored: the token when it is of this session
// and for the API t is for (else nil), that API, and for a named token
// every named token stored, which the caller may change and write back.
func (t *token) storedLocked(ctx context.Context, session *Credentials) (*Credentials, API, map[string]record, error) {
	if t.own() {
		return session, API{}, nil, nil
	}
	m := t.m
	records, err := m.readNamedLocked(ctx)
	if err != nil {
		return nil, API{}, nil, err
	}
	m.setNamed(records)
	rec, stored := records[t.name]
	var api API
	switch {
	case t.want != nil:
		api = *t.want
	case stored:
		api = rec.api()
	default:
		return nil, API{}, nil, t.errUnknownName()
	}
	if err := m.granted(session, api); err != nil {
		return nil, API{}, nil, err
	}
	if !stored || !rec.api().equal(api) {
		return nil, api, records, nil
	}
	if c := rec.credentials(); c.SessionID == session.SessionID {
		return c, api, records, nil
	}
	return nil, api, records, nil
}

// errUnknownName is the error for a named token whose name neither
// [Config.APIs] declares nor the store holds.
func (t *token) errUnknownName() error {
	return fmt.Errorf("%w: no API is declared or held under the name %q", ErrNotGranted, t.name)
}

// noteOutcome keeps what a renewal's failure means for the next ones: the
// transient failures in a row, and the backoff after them.
func (t *token) noteOutcome(err error) {
	m := t.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil || !errors.Is(err, ErrProviderUnreachable) {
		t.failures = 0
		t.offline.Store(nil)
		return
	}
	t.failures++
	var after time.Duration
	var pe *ProviderError
	if errors.As(err, &pe) {
		after = pe.RetryAfter
	}
	t.offline.Store(&offlineState{retryAt: m.now().Add(backoff(t.failures, after)), err: err})
}

// scheduled is the scheduler's renewal. It says when to try again: at the
// backoff after a failure, never after the provider refused the client or
// the API (the configuration must change first).
func (t *token) scheduled(ctx context.Context) (retry time.Time, err error) {
	_, err = t.renew(ctx, 0, true)
	switch {
	case err == nil, errors.Is(err, ErrSignInRequired), errors.Is(err, ErrNoCredentials):
		return time.Time{}, err
	case errors.Is(err, ErrClientRejected), errors.Is(err, ErrNotGranted):
		t.m.log.Warn("the provider refuses this renewal as configured; it stops until the configuration changes", "name", t.name, "error", err)
		return never, err
	}
	if o := t.offline.Load(); o != nil {
		return o.retryAt, err
	}
	return t.m.now().Add(backoff(1, 0)), err
}

// canRenew says whether the scheduler can renew c at now: by its own
// refresh token for the session's credentials; by the session's for a
// named token.
func (t *token) canRenew(c *Credentials, now time.Time) bool {
	if t.own() {
		return c.CanRenew(now)
	}
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.m.session.creds.CanRenew(now)
}

// expired follows the end of a token that cannot be renewed: the
// session's ends, and says so; a named token's end is the session's.
func (t *token) expired() {
	if t.own() {
		t.m.publish(StateEnded, ErrSessionExpired)
	}
}

// renewAfter gets a new token when refused, which a server did not
// accept, is still the one held.
func (t *token) renewAfter(ctx context.Context, refused string) error {
	t.m.mu.Lock()
	c := t.creds
	t.m.mu.Unlock()
	if c == nil || c.AccessToken != refused {
		return nil // renewed meanwhile
	}
	_, err := t.renew(ctx, 0, true)
	return err
}

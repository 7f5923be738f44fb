package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/base/secureurl"
)

// token is one access token that a [Manager] holds, hands out and renews:
// the session's own (name "") or a named token for one API (see
// [NamedToken]). Both are the same machinery:
//
//   - a value that the hot path reads without a lock and without
//     allocating (handout), published whenever what is held changes;
//   - a single flight of renewals (inflight), run on a goroutine of its
//     own, so that callers share one request and one impatient caller
//     cannot cancel it for the others;
//   - a schedule that renews ahead of expiry (scheduler), and a backoff
//     after transient failures, during which callers learn at once that
//     the provider cannot be reached;
//   - a record in the store (see record), written under the
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

	hot    atomic.Pointer[handout]
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

// handout is a token as the hot path hands it out: never changed once
// published, and shared by every caller, as oauth2.ReuseTokenSource's
// token is. It fills a cache line of its own (64 bytes, a size class
// whose objects are aligned to it), so that no object that another
// goroutine writes shares the line that every caller reads: a 32-byte
// one would sit beside others of that size, such as the testing.PB that
// each of a parallel benchmark's workers writes on every iteration, and
// the callers would wait on the line moving between the cores.
type handout struct {
	c   *Credentials
	tok *oauth2.Token
	// expires is c.Expiry in Unix nanoseconds, 0 for none: one integer
	// comparison instead of time.Time's arithmetic.
	expires int64
	// owner is, for a named token, the session's hot value it was
	// published with: a token of another session (or of none) is not
	// handed out. Nil for the session's own.
	owner *handout
	_     [32]byte
}

// offlineState is a transient failure, and when the next renewal is due.
type offlineState struct {
	retryAt time.Time
	err     error
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
func (t *token) hotGet(minTTL time.Duration) (*handout, bool) {
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
	var owner *handout
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
	t.hot.Store(&handout{c: c, tok: c.oauth2Token(), expires: unixExpiry(c.Expiry), owner: owner})
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
	if w := m.store.waiting(now); w != nil {
		// Another process was asked to pause, and the pause lasts.
		m.log.Info("the provider asked for a pause; not asking it again before then", "until", now.Add(w.RetryAfter).Format(time.TimeOnly))
		return nil, w
	}
	return t.renew(ctx, minTTL, false)
}

// errUnknownName is the error for a named token whose name neither
// [Config.APIs] declares nor the store holds.
func (t *token) errUnknownName() error {
	return fmt.Errorf("%w: no API is declared or held under the name %q", ErrNotGranted, t.name)
}

// tokenTimeout bounds a token source's Token call, which has no context
// of its own.
const tokenTimeout = time.Minute

// clientMinTTL is how long a token that a client or a header sends stays
// valid at least, so that it does not expire on its way.
const clientMinTTL = 10 * time.Second

// source is a token as an [oauth2.TokenSource]: the session's own
// ([Manager.TokenSource]) or a named one ([NamedToken.TokenSource]).
type source struct {
	t      *token
	minTTL time.Duration
}

// Token implements [oauth2.TokenSource].
func (s source) Token() (*oauth2.Token, error) {
	if h, ok := s.t.hotGet(s.minTTL); ok {
		return h.tok, nil
	}
	return s.slowToken()
}

// slowToken is Token when the hot path has no token: it may renew.
func (s source) slowToken() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(s.t.m.ctx, tokenTimeout)
	defer cancel()
	c, err := s.t.get(ctx, s.minTTL)
	if err != nil {
		return nil, err
	}
	return c.oauth2Token(), nil
}

// client is an *http.Client whose transport authorizes each request with
// t, built on the client that ctx carries under [oauth2.HTTPClient], else
// on [Config.HTTPClient].
func (t *token) client(ctx context.Context) *http.Client {
	base := t.m.cfg.HTTPClient
	if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && c != nil {
		base = c
	}
	return &http.Client{
		Transport:     &transport{src: source{t: t, minTTL: clientMinTTL}, base: base.Transport},
		CheckRedirect: base.CheckRedirect,
		Jar:           base.Jar,
		Timeout:       base.Timeout,
	}
}

// header returns the header lines that authorize one request of method
// to target with t (see [Manager.Header]).
func (t *token) header(ctx context.Context, method, target string) (http.Header, error) {
	u, err := url.Parse(target)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http or https address", target)
	}
	if !secureurl.Secure(target) {
		return nil, fmt.Errorf("the address %s is not https: the access token would be sent in clear", u.Redacted())
	}
	if method == "" {
		return nil, errors.New("a request method is required")
	}
	p, err := t.present(ctx, clientMinTTL)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	if err := p.apply(h, method, u, t.m.nonces.get(u)); err != nil {
		return nil, err
	}
	return h, nil
}

// transport authorizes each request with a token: it gets the token with
// the request's context, sends DPoP tokens with a fresh proof per request,
// and sends a request once more when the server answers 401 with a nonce
// challenge (use_dpop_nonce: with its new nonce) or invalid_token (with a
// renewed token), when the body can be read again (http.NewRequest sets
// GetBody for the usual bodies). It refuses plain http off this machine.
//
// The token is for the origin of the request the caller made, and goes
// nowhere else: a redirect to another origin is followed without it (and
// without a proof), and renews nothing. golang.org/x/oauth2's Transport
// sets the token on every hop, and Go's client strips an Authorization
// header on a redirect only when the caller set it.
type transport struct {
	src  source
	base http.RoundTripper // nil: http.DefaultTransport
}

// RoundTrip implements [http.RoundTripper]. It does not change req: the
// headers are set on a copy.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	bodyClosed := false
	if req.Body != nil {
		defer func() {
			if !bodyClosed {
				req.Body.Close()
			}
		}()
	}
	base := tr.base
	if base == nil {
		base = http.DefaultTransport
	}
	if !secureurl.SameOrigin(callerRequest(req).URL, req.URL) {
		bodyClosed = true // the base transport closes it now
		return base.RoundTrip(req)
	}
	if !secureurl.Secure(req.URL.String()) {
		return nil, fmt.Errorf("the address %s is not https: the access token is sent in clear to this machine only", req.URL.Redacted())
	}
	ctx := req.Context()
	t := tr.src.t
	sent := 0
	for renewed := false; ; renewed = true {
		p, err := t.present(ctx, tr.src.minTTL)
		if err != nil {
			return nil, err
		}
		bodyClosed = true
		resp, err := sendSigned(req, sent, base, &t.m.nonces, func(out *http.Request, nonce string) error {
			sent++
			return p.apply(out.Header, req.Method, req.URL, nonce)
		})
		if err != nil || renewed || resp.StatusCode != http.StatusUnauthorized || !authChallenge(resp, "invalid_token") {
			return resp, err
		}
		if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			return resp, nil
		}
		if err := t.renewAfter(ctx, p.token); err != nil {
			return resp, nil // the server's answer says more than the renewal's failure
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
	}
}

// callerRequest is the request the caller made, of which req is a
// redirect, or req itself: Go's client gives a redirect's request, in
// Response, the answer that caused it.
func callerRequest(req *http.Request) *http.Request {
	for req.Response != nil && req.Response.Request != nil {
		req = req.Response.Request
	}
	return req
}

// authorizer is an access token ready to authorize requests: a bearer
// token, or a DPoP token with the key it is bound to.
type authorizer struct {
	token string
	key   *dpopKey // nil: a bearer token
	now   func() time.Time
}

// present is t's token, valid for at least minTTL, ready to authorize
// requests: its key is read when it is bound.
func (t *token) present(ctx context.Context, minTTL time.Duration) (authorizer, error) {
	c, err := t.get(ctx, minTTL)
	if err != nil {
		return authorizer{}, err
	}
	m := t.m
	p := authorizer{token: c.AccessToken, now: m.providerNow}
	if !c.bound() {
		return p, nil
	}
	key, err := m.keyFor(ctx, c)
	if err != nil {
		return authorizer{}, err
	}
	if key == nil {
		return authorizer{}, fmt.Errorf("%w: a DPoP token without a key", ErrDPoPKeyLost)
	}
	p.key = key
	return p, nil
}

// apply sets the headers that authorize a request of method to target,
// with the nonce the server gave last: "Authorization: Bearer", or
// "Authorization: DPoP" and a fresh "DPoP" proof that covers the token.
func (p authorizer) apply(h http.Header, method string, target *url.URL, nonce string) error {
	if p.key == nil {
		h.Set("Authorization", "Bearer "+p.token)
		return nil
	}
	proof, err := p.key.proof(method, target, nonce, p.token, p.now())
	if err != nil {
		return err
	}
	h.Set("Authorization", "DPoP "+p.token)
	h.Set("DPoP", proof)
	return nil
}

// inflight runs one renewal at a time: callers that arrive while one runs
// share its result, as go-oidc's inflight shares a key set fetch. The work
// runs on a goroutine of its own with its own deadline, so that one caller
// giving up does not cancel it for the others. The zero value is ready.
type inflight struct {
	mu   sync.Mutex // serialises starting a run
	call atomic.Pointer[flight]
}

// flight is one run; its result is set before done is closed. The result
// is shared by every caller of the run: it must not be changed.
type flight struct {
	done  chan struct{}
	creds *Credentials
	err   error
}

// do joins the run in progress or starts work on a new goroutine, then
// waits for its result or for ctx to end.
func (f *inflight) do(ctx context.Context, work func() (*Credentials, error)) (*Credentials, error) {
	call := f.call.Load()
	if call == nil {
		f.mu.Lock()
		if call = f.call.Load(); call == nil {
			call = &flight{done: make(chan struct{})}
			f.call.Store(call)
			go func() {
				creds, err := work()
				call.creds, call.err = creds, err
				f.call.Store(nil)
				close(call.done)
			}()
		}
		f.mu.Unlock()
	}
	return call.wait(ctx)
}

// join waits for the run in progress, if there is one; ok is false when
// there is none.
func (f *inflight) join(ctx context.Context) (creds *Credentials, err error, ok bool) {
	call := f.call.Load()
	if call == nil {
		return nil, nil, false
	}
	creds, err = call.wait(ctx)
	return creds, err, true
}

func (call *flight) wait(ctx context.Context) (*Credentials, error) {
	select {
	case <-call.done:
		return call.creds, call.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for renewal: %w", ctx.Err())
	}
}

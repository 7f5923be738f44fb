package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// refresher makes refresh requests (RFC 6749 section 6) and turns the
// answers into new credentials: the session's own, with the refresh token
// kept when none comes back and a new ID token verified and held to the
// same subject; and named tokens for one API each (RFC 8707).
type refresher struct {
	clientID, clientSecret string
	http                   *http.Client
	now                    func() time.Time
	// resourceParam names the parameter that says which API a named token
	// is for: "resource" (RFC 8707) or "audience" (Auth0).
	resourceParam string
	// providerNow is the provider's time, for DPoP proofs.
	providerNow func() time.Time
	nonces      *dpopNonces
}

// client is the HTTP client for token requests: each carries a DPoP proof
// made with key, when one is given.
func (r refresher) client(key *dpopKey) *http.Client {
	if key == nil {
		return r.http
	}
	c := *r.http
	c.Transport = &proofTransport{base: r.http.Transport, key: key, nonces: r.nonces, now: r.providerNow}
	return &c
}

// grant spends refreshToken once, with the extra parameters given.
func (r refresher) grant(ctx context.Context, p *Provider, refreshToken string, key *dpopKey, extra url.Values) (*oauth2.Token, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	}
	addClient(form, r.clientID, r.clientSecret)
	for k, v := range extra {
		form[k] = v
	}
	return postToken(ctx, r.client(key), p.TokenEndpoint, form)
}

// refresh spends current's refresh token once for new session
// credentials. It neither stores nor publishes anything.
func (r refresher) refresh(ctx context.Context, p *Provider, verifier *verifier, current *Credentials, key *dpopKey) (*Credentials, error) {
	tok, err := r.grant(ctx, p, current.RefreshToken, key, nil)
	if err != nil {
		return nil, providerError("renewal", err)
	}
	renewed := credentialsFromToken(tok, r.now(), current)
	if err := checkReceived(renewed, key != nil); err != nil {
		return nil, fmt.Errorf("renewal: %w", err)
	}
	if renewed.IDToken != current.IDToken {
		claims, err := verifier.verify(ctx, renewed.IDToken, "")
		if err != nil {
			return nil, fmt.Errorf("renewal: %w", err)
		}
		if sub := current.subject(); sub != "" && claims.Subject != sub {
			return nil, fmt.Errorf("renewal: %w: the subject changed", ErrUnverified)
		}
	}
	return renewed, nil
}

// named spends current's refresh token once for a token for api. It
// returns the session's credentials with the refresh token that came back
// (rotated or not), and the named token itself.
func (r refresher) named(ctx context.Context, p *Provider, current *Credentials, key *dpopKey, api API) (session, named *Credentials, err error) {
	extra := url.Values{}
	if api.Audience != "" {
		extra.Set(r.resourceParam, api.Audience)
	}
	if len(api.Scopes) > 0 {
		extra.Set("scope", strings.Join(api.Scopes, " "))
	}
	tok, err := r.grant(ctx, p, current.RefreshToken, key, extra)
	if err != nil {
		err = providerError(opNamedToken, err)
		var pe *ProviderError
		if errors.As(err, &pe) && (pe.Code == "invalid_scope" || pe.Code == "invalid_target") {
			return nil, nil, fmt.Errorf("%w: the sign-in did not include this API: %w", ErrNotGranted, err)
		}
		return nil, nil, err
	}
	now := r.now()
	got := credentialsFromToken(tok, now, nil)
	if err := checkReceived(got, key != nil); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", opNamedToken, err)
	}
	session = current.clone()
	if got.RefreshToken != "" {
		session.RefreshToken, session.RefreshExpiry = got.RefreshToken, got.RefreshExpiry
	}
	named = &Credentials{
		AccessToken: got.AccessToken, TokenType: got.TokenType, Scope: got.Scope,
		Expiry: got.Expiry, ObtainedAt: now,
		SessionID: current.SessionID, KeyThumbprint: current.KeyThumbprint,
	}
	if named.Scope == "" {
		named.Scope = strings.Join(api.Scopes, " ")
	}
	return session, named, nil
}

// oauthConfig is the golang.org/x/oauth2 configuration for p.
func oauthConfig(clientID, clientSecret string, scopes []string, p *Provider, redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:       p.AuthorizationEndpoint,
			TokenURL:      p.TokenEndpoint,
			DeviceAuthURL: p.DeviceAuthorizationEndpoint,
			AuthStyle:     oauth2.AuthStyleInParams,
		},
		RedirectURL: redirect,
		Scopes:      scopes,
	}
}

// addClient names the client in a request to the token or revocation
// endpoint: its ID, and its secret when it has one (client_secret_post).
func addClient(form url.Values, id, secret string) {
	form.Set("client_id", id)
	if secret != "" {
		form.Set("client_secret", secret)
	}
}

// withHTTPClient carries client to golang.org/x/oauth2.
func withHTTPClient(ctx context.Context, client *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, client)
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
	defer lock.Release()
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
	if err := m.store.writeNamed(ctx, records); err != nil {
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

// noteOutcome keeps what a renewal's failure means for the next ones: the
// transient failures in a row, and the backoff after them.
func (t *token) noteOutcome(err error) {
	m := t.m
	m.store.noteWait(err, m.now())
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
	retryAt := m.now().Add(backoff(t.failures, after))
	t.offline.Store(&offlineState{retryAt: retryAt, err: err})
	m.log.Info("the renewal failed for now", "name", t.name, "error", err, "retry_after", after, "next_try", retryAt.Format(time.TimeOnly))
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

// spendLocked spends current's refresh token once, under the lock: spend
// gets current's DPoP key (nil: not bound) and returns the session's
// credentials from the provider's answer. Nothing is spent unless the
// store has just shown that it takes a write: current is written again
// first, so that a keychain that refuses, hangs or asks the person costs
// nothing (the refresh token stays valid, and stored). The answer is
// stored before anything else, since the refresh token spent may be gone
// (when the store fails now, memory keeps it until a write works). A
// refusal that ends the session, or a key that is gone, ends it by
// endedLocked, whose result is returned.
func (m *Manager) spendLocked(ctx context.Context, current *Credentials, spend func(key *dpopKey) (*Credentials, error)) (*Credentials, error) {
	if !current.CanRenew(m.now()) {
		return nil, fmt.Errorf("no usable refresh token is held: %w", ErrSessionExpired)
	}
	if err := m.store.write(ctx, current); err != nil {
		return nil, fmt.Errorf("the refresh token was not spent, since its successor could not be stored: %w", err)
	}
	key, err := m.loadKey(ctx, current)
	if err == nil {
		var renewed *Credentials
		if renewed, err = spend(key); err == nil {
			if err := m.store.write(ctx, renewed); err != nil {
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

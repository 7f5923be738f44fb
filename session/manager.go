package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// DefaultScopes are requested when Config.Scopes is empty.
var DefaultScopes = []string{"openid", "profile", "email", "offline_access"}

// Clock tells the time and waits. Tests inject a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures a Manager. Issuer, ClientID and Store are required.
type Config struct {
	// Issuer is the provider's issuer URL, for discovery.
	Issuer string
	// ClientID is this application's public client ID at the provider.
	ClientID string
	// Scopes are requested at sign-in; empty means DefaultScopes.
	Scopes []string
	// Audience, when set, is sent as the "audience" parameter (Auth0's way
	// of naming the API an access token is for).
	Audience string
	// Store keeps the credentials: a *Keychain in applications.
	Store Store
	// StoreKey names the credentials in Store; empty means a key derived
	// from Issuer and ClientID, so that several providers can be held.
	StoreKey string
	// HTTPClient makes every request to the provider; nil means a client
	// with a 30-second timeout.
	HTTPClient *http.Client
	// Clock is the time source; nil means the system clock.
	Clock Clock
	// Leeway is the clock skew allowed when checking ID tokens; see
	// VerifierConfig.Leeway.
	Leeway time.Duration
	// RenewAt is the part of an access token's lifetime after which the
	// background scheduler renews it, before jitter of up to 5% is added;
	// 0 means 0.75. Values are clamped to [0.1, 0.9].
	RenewAt float64
	// LockDir holds the file lock that serialises renewals across
	// processes; empty means the "latch" folder in the user's cache
	// directory. The lock file holds no data.
	LockDir string
	// Logger receives diagnostics; nil discards them. No token is logged.
	Logger *slog.Logger
	// ManualRenewal turns the background scheduler off: credentials are
	// renewed only when Credentials or Renew need it. Short-lived programs
	// (a command that prints a token and exits) set it.
	ManualRenewal bool
}

// Manager keeps one person's session with one provider: it signs in,
// stores the credentials, hands out valid access tokens, renews them ahead
// of expiry, and signs out.
//
// A Manager is safe for concurrent use. New starts a background scheduler
// that renews credentials before they expire; Close stops it.
type Manager struct {
	cfg      Config
	clock    Clock
	http     *http.Client
	log      *slog.Logger
	storeKey string
	lockPath string

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	done   chan struct{} // closed when the scheduler has stopped

	provMu   sync.Mutex
	prov     *Provider
	verifier *Verifier

	mu       sync.Mutex
	loaded   bool         // the store has been read
	creds    *Credentials // nil: signed out
	dirty    bool         // creds are newer than the store
	renewAt  time.Time    // when the scheduler renews creds
	inflight *renewal

	wake   chan struct{}
	events events
}

// renewal is one refresh in flight; callers that need it wait on done.
type renewal struct {
	done  chan struct{}
	creds *Credentials
	err   error
}

// New checks cfg and returns a Manager. It does not touch the network or
// the store: the first call that needs credentials reads the store.
func New(cfg Config) (*Manager, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("session: Config.Issuer is required")
	}
	if u, err := url.Parse(cfg.Issuer); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("session: Config.Issuer %q is not a URL", cfg.Issuer)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("session: Config.ClientID is required")
	}
	if cfg.Store == nil {
		return nil, errors.New("session: Config.Store is required")
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultScopes
	}
	switch {
	case cfg.RenewAt == 0:
		cfg.RenewAt = 0.75
	case cfg.RenewAt < 0.1:
		cfg.RenewAt = 0.1
	case cfg.RenewAt > 0.9:
		cfg.RenewAt = 0.9
	}
	m := &Manager{
		cfg:   cfg,
		clock: cfg.Clock,
		http:  cfg.HTTPClient,
		log:   cfg.Logger,
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	if m.clock == nil {
		m.clock = systemClock{}
	}
	if m.http == nil {
		m.http = &http.Client{Timeout: 30 * time.Second}
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	id := sha256.Sum256([]byte(cfg.Issuer + "\n" + cfg.ClientID))
	m.storeKey = cfg.StoreKey
	if m.storeKey == "" {
		m.storeKey = "session-" + hex.EncodeToString(id[:8])
	}
	dir := cfg.LockDir
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir = filepath.Join(cache, "latch")
	}
	m.lockPath = filepath.Join(dir, "renew-"+hex.EncodeToString(id[:8])+".lock")
	m.ctx, m.cancel = context.WithCancel(context.Background())
	go m.schedule()
	return m, nil
}

// Close stops the background scheduler and the subscribers' goroutines.
// Credentials stay stored. Close does not wait for a renewal in flight to
// finish; it cancels it.
func (m *Manager) Close() error {
	m.cancel()
	<-m.done
	m.events.closeAll()
	return nil
}

// Config returns the configuration the Manager runs with, defaults filled
// in.
func (m *Manager) Config() Config { return m.cfg }

// Provider returns the provider's discovered configuration, fetched once.
func (m *Manager) Provider(ctx context.Context) (*Provider, error) {
	p, _, err := m.provider(ctx)
	return p, err
}

func (m *Manager) provider(ctx context.Context) (*Provider, *Verifier, error) {
	m.provMu.Lock()
	defer m.provMu.Unlock()
	if m.prov != nil {
		return m.prov, m.verifier, nil
	}
	p, err := Discover(ctx, m.http, m.cfg.Issuer)
	if err != nil {
		return nil, nil, err
	}
	keys, err := RemoteKeys(m.ctx, m.http, p.JWKSURI, m.log)
	if err != nil {
		return nil, nil, err
	}
	m.prov = p
	m.verifier = NewVerifier(keys, VerifierConfig{
		Issuer:     p.Issuer,
		ClientID:   m.cfg.ClientID,
		Algorithms: intersect(DefaultAlgorithms, p.IDTokenSigningAlgs),
		Leeway:     m.cfg.Leeway,
		Now:        m.clock.Now,
	})
	return m.prov, m.verifier, nil
}

// intersect keeps the allowed algorithms the provider says it uses; when it
// says nothing, all allowed ones.
func intersect(allowed, offered []string) []string {
	if len(offered) == 0 {
		return allowed
	}
	var out []string
	for _, a := range allowed {
		if slices.Contains(offered, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return allowed
	}
	return out
}

func (m *Manager) oauthConfig(p *Provider, redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: m.cfg.ClientID,
		Endpoint: oauth2.Endpoint{
			AuthURL:       p.AuthorizationEndpoint,
			TokenURL:      p.TokenEndpoint,
			DeviceAuthURL: p.DeviceAuthorizationEndpoint,
			AuthStyle:     oauth2.AuthStyleInParams,
		},
		RedirectURL: redirect,
		Scopes:      m.cfg.Scopes,
	}
}

// httpContext carries the injected HTTP client to golang.org/x/oauth2.
func (m *Manager) httpContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, m.http)
}

// load returns the credentials in memory, reading the store the first
// time. A nil result with a nil error means signed out.
func (m *Manager) load(ctx context.Context) (*Credentials, error) {
	m.mu.Lock()
	if m.loaded {
		c := m.creds
		m.mu.Unlock()
		return c, nil
	}
	m.mu.Unlock()
	stored, err := m.readStore(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.loaded { // another goroutine got there first
		c := m.creds
		m.mu.Unlock()
		return c, nil
	}
	m.loaded = true
	m.setCredsLocked(stored)
	m.mu.Unlock()
	if stored == nil {
		m.publish(StateSignedOut, nil, "")
	} else if !stored.ValidFor(m.clock.Now(), 0) && !stored.CanRenew(m.clock.Now()) {
		m.publish(StateEnded, nil, "Your session expired. Please sign in again.")
	} else {
		m.publish(StateSignedIn, nil, "")
	}
	return stored, nil
}

// readStore reads the stored credentials; nil, nil when there are none.
func (m *Manager) readStore(ctx context.Context) (*Credentials, error) {
	b, err := m.cfg.Store.Get(ctx, m.storeKey)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return unmarshalCredentials(b)
}

func (m *Manager) writeStore(ctx context.Context, c *Credentials) error {
	b, err := c.marshal()
	if err != nil {
		return fmt.Errorf("session: saving credentials: %w", err)
	}
	if err := m.cfg.Store.Set(ctx, m.storeKey, b); err != nil {
		return fmt.Errorf("session: saving credentials: %w", err)
	}
	return nil
}

// setCredsLocked replaces the credentials in memory and plans their
// renewal. m.mu must be held.
func (m *Manager) setCredsLocked(c *Credentials) {
	m.creds = c
	m.dirty = false
	m.renewAt = time.Time{}
	if c != nil && c.Lifetime() > 0 {
		part := m.cfg.RenewAt + rand.Float64()*0.05
		m.renewAt = c.ObtainedAt.Add(time.Duration(float64(c.Lifetime()) * part))
	}
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Manager) publish(s State, err error, reason string) {
	e := Event{State: s, Err: err, Reason: reason, At: m.clock.Now()}
	m.mu.Lock()
	if c := m.creds; c != nil {
		e.Subject = c.Subject()
		e.Expiry = c.Expiry
		e.LastRenewal = c.ObtainedAt
	}
	m.mu.Unlock()
	m.events.publish(e)
}

// State returns the latest state event.
func (m *Manager) State() Event { return m.events.state() }

// Subscribe calls fn with the current state at once and then with every
// change, until the returned function is called or the Manager is closed.
//
// fn runs on a goroutine that belongs to this subscription, never on the
// caller's goroutine nor while the Manager holds a lock: events for one
// subscriber arrive one at a time and in order, and a slow subscriber
// delays no one else. A UI forwards each event to its own thread (in Fyne,
// with fyne.Do).
func (m *Manager) Subscribe(fn func(Event)) (unsubscribe func()) {
	return m.events.subscribe(fn)
}

// HasValid reports whether credentials are held whose access token is
// valid for at least minTTL. It reads memory and the store only: no
// network.
func (m *Manager) HasValid(ctx context.Context, minTTL time.Duration) bool {
	c, err := m.load(ctx)
	return err == nil && c.ValidFor(m.clock.Now(), minTTL)
}

// CanRenew reports whether credentials are held with a refresh token that
// is not known to have expired. It reads memory and the store only.
func (m *Manager) CanRenew(ctx context.Context) bool {
	c, err := m.load(ctx)
	return err == nil && c.CanRenew(m.clock.Now())
}

// Current returns the credentials held, without renewing them, or an error
// wrapping ErrNoCredentials. The result is a copy.
func (m *Manager) Current(ctx context.Context) (*Credentials, error) {
	c, err := m.load(ctx)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, ErrNoCredentials
	}
	return c.clone(), nil
}

// Credentials returns credentials whose access token is valid for at least
// minTTL: the held ones, or renewed ones. Renewed credentials are stored
// before they are returned. Concurrent calls that need a renewal share one
// refresh request.
//
// Errors: ErrNoCredentials when nobody is signed in; ErrSignInRequired
// when the credentials cannot be renewed (no refresh token, or the provider
// rejected it: the session has then ended and the stored credentials are
// removed); ErrProviderUnreachable for transient failures (the stored
// credentials are kept); ErrKeychainUnavailable when the store fails.
func (m *Manager) Credentials(ctx context.Context, minTTL time.Duration) (*Credentials, error) {
	c, err := m.load(ctx)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, ErrNoCredentials
	}
	now := m.clock.Now()
	if c.ValidFor(now, minTTL) {
		if err := m.flush(ctx); err != nil {
			return nil, err
		}
		return c.clone(), nil
	}
	if !c.CanRenew(now) {
		return nil, fmt.Errorf("%w: the access token expired and no refresh token is held", ErrSignInRequired)
	}
	return m.renew(ctx, minTTL, false)
}

// flush stores credentials that a failed store write left in memory only.
func (m *Manager) flush(ctx context.Context) error {
	m.mu.Lock()
	c, dirty := m.creds, m.dirty
	m.mu.Unlock()
	if !dirty {
		return nil
	}
	if err := m.writeStore(ctx, c); err != nil {
		return err
	}
	m.mu.Lock()
	if m.creds == c {
		m.dirty = false
	}
	m.mu.Unlock()
	return nil
}

// Renew renews the credentials now, whatever their expiry, and returns the
// new ones once stored. If another process renewed them meanwhile, those
// are adopted instead of spending the refresh token again. Concurrent
// calls share one refresh request.
func (m *Manager) Renew(ctx context.Context) (*Credentials, error) {
	if _, err := m.load(ctx); err != nil {
		return nil, err
	}
	return m.renew(ctx, 0, true)
}

// renew joins the renewal in flight or starts one. The renewal runs on its
// own goroutine, bounded by renewTimeout, so that one caller giving up does
// not fail the others.
func (m *Manager) renew(ctx context.Context, minTTL time.Duration, force bool) (*Credentials, error) {
	m.mu.Lock()
	call := m.inflight
	if call == nil {
		call = &renewal{done: make(chan struct{})}
		m.inflight = call
		go m.runRenewal(call, minTTL, force)
	}
	m.mu.Unlock()
	select {
	case <-call.done:
		if call.err != nil {
			return nil, call.err
		}
		return call.creds.clone(), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("session: waiting for renewal: %w", ctx.Err())
	}
}

// renewTimeout bounds one renewal: lock, store and refresh request.
const renewTimeout = time.Minute

func (m *Manager) runRenewal(call *renewal, minTTL time.Duration, force bool) {
	ctx, cancel := context.WithTimeout(m.ctx, renewTimeout)
	defer cancel()
	before := m.State()
	m.publish(StateRenewing, nil, "")
	creds, err := m.refresh(ctx, minTTL, force)
	switch {
	case err == nil:
		m.publish(StateSignedIn, nil, "")
	case errors.Is(err, ErrNoCredentials):
		m.publish(StateSignedOut, nil, "")
	case errors.Is(err, ErrSignInRequired):
		m.publish(StateEnded, err, reasonOf(err))
	case errors.Is(err, ErrProviderUnreachable):
		m.publish(StateOffline, err, "The provider cannot be reached; renewal will be retried.")
	default:
		state := before.State
		if state == StateRenewing || state == StateUnknown {
			state = StateSignedIn
		}
		m.publish(state, err, reasonOf(err))
	}
	m.mu.Lock()
	m.inflight = nil
	call.creds, call.err = creds, err
	m.mu.Unlock()
	close(call.done)
}

// reasonOf is the sentence a person reads for err.
func reasonOf(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Reason()
	}
	if errors.Is(err, ErrSignInRequired) {
		return "Your session cannot be renewed. Please sign in again."
	}
	if errors.Is(err, ErrKeychainUnavailable) {
		return "The system keychain is unavailable: unlock it, or check that a keyring service is running."
	}
	return err.Error()
}

// refresh does one renewal under the cross-process lock.
func (m *Manager) refresh(ctx context.Context, minTTL time.Duration, force bool) (*Credentials, error) {
	p, verifier, err := m.provider(ctx)
	if err != nil {
		return nil, err
	}
	lock, err := acquireFileLock(ctx, m.lockPath)
	if err != nil {
		return nil, err
	}
	defer lock.release()

	m.mu.Lock()
	mem, dirty := m.creds, m.dirty
	m.mu.Unlock()

	current := mem
	if !dirty {
		stored, err := m.readStore(ctx)
		switch {
		case err != nil && mem == nil:
			return nil, err
		case err != nil:
			m.log.Warn("session: re-reading the store before renewal failed; using the credentials in memory", "error", err)
		case stored == nil:
			// Signed out by another process.
			m.mu.Lock()
			m.setCredsLocked(nil)
			m.mu.Unlock()
			return nil, ErrNoCredentials
		default:
			current = stored
			if mem == nil || stored.RefreshToken != mem.RefreshToken || stored.ObtainedAt.After(mem.ObtainedAt) {
				// Another process renewed (or signed in) meanwhile.
				m.mu.Lock()
				m.setCredsLocked(stored)
				m.mu.Unlock()
				now := m.clock.Now()
				if (force && mem != nil) || (!force && stored.ValidFor(now, minTTL)) {
					m.log.Debug("session: adopted credentials renewed by another process")
					return stored.clone(), nil
				}
			}
		}
	}
	if current == nil {
		return nil, ErrNoCredentials
	}
	now := m.clock.Now()
	if !current.CanRenew(now) {
		return nil, fmt.Errorf("%w: no usable refresh token is held", ErrSignInRequired)
	}

	tok, err := m.oauthConfig(p, "").TokenSource(m.httpContext(ctx), &oauth2.Token{RefreshToken: current.RefreshToken}).Token()
	if err != nil {
		err = providerError("renewal", err)
		if errors.Is(err, ErrSignInRequired) {
			// The refresh token is dead: the session has ended.
			if derr := m.cfg.Store.Delete(ctx, m.storeKey); derr != nil && !errors.Is(derr, ErrNotFound) {
				m.log.Warn("session: removing ended credentials failed", "error", derr)
			}
			m.mu.Lock()
			m.setCredsLocked(nil)
			m.mu.Unlock()
		}
		return nil, err
	}
	renewed := credentialsFromToken(tok, m.clock.Now(), current)
	if renewed.IDToken != current.IDToken {
		claims, err := verifier.Verify(ctx, renewed.IDToken, "")
		if err != nil {
			return nil, fmt.Errorf("session: renewal: %w", err)
		}
		if sub := current.Subject(); sub != "" && claims.Subject != sub {
			return nil, fmt.Errorf("session: renewal: %w: subject changed", ErrInvalidIDToken)
		}
	}
	if err := m.writeStore(ctx, renewed); err != nil {
		// Keep them in memory: the old refresh token may be spent already.
		m.mu.Lock()
		m.setCredsLocked(renewed)
		m.dirty = true
		m.mu.Unlock()
		return nil, err
	}
	m.mu.Lock()
	m.setCredsLocked(renewed)
	m.mu.Unlock()
	m.log.Debug("session: renewed", "expiry", renewed.Expiry)
	return renewed.clone(), nil
}

// adopt stores fresh credentials from a sign-in and makes them current.
func (m *Manager) adopt(ctx context.Context, c *Credentials) error {
	lock, err := acquireFileLock(ctx, m.lockPath)
	if err != nil {
		return err
	}
	defer lock.release()
	if err := m.writeStore(ctx, c); err != nil {
		return err
	}
	m.mu.Lock()
	m.loaded = true
	m.setCredsLocked(c)
	m.mu.Unlock()
	m.publish(StateSignedIn, nil, "")
	return nil
}

// Clear removes the credentials from memory and the store, without telling
// the provider. Use Logout to sign out.
func (m *Manager) Clear(ctx context.Context) error {
	err := m.cfg.Store.Delete(ctx, m.storeKey)
	if errors.Is(err, ErrNotFound) {
		err = nil
	}
	m.mu.Lock()
	m.loaded = true
	m.setCredsLocked(nil)
	if err != nil {
		// Not removed from the store: the next read sees what is there.
		m.loaded = false
	}
	m.mu.Unlock()
	m.publish(StateSignedOut, err, "")
	if err != nil {
		return fmt.Errorf("session: clearing credentials: %w", err)
	}
	return nil
}

// Logout signs out: it revokes the refresh token at the provider (RFC 7009)
// when the provider has a revocation endpoint, then clears every local
// credential, even when revocation failed. A revocation failure is
// returned (as a *ProviderError or wrapping ErrProviderUnreachable) after
// the local credentials are gone.
func (m *Manager) Logout(ctx context.Context) error {
	var revokeErr error
	c, err := m.load(ctx)
	if err != nil {
		// The store cannot be read; still clear what can be cleared.
		revokeErr = err
	}
	if c != nil {
		token, hint := c.RefreshToken, "refresh_token"
		if token == "" {
			token, hint = c.AccessToken, "access_token"
		}
		revokeErr = m.revoke(ctx, token, hint)
	}
	lockCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	lock, lerr := acquireFileLock(lockCtx, m.lockPath)
	cancel()
	if lerr == nil {
		defer lock.release()
	}
	clearErr := m.Clear(ctx)
	return errors.Join(clearErr, revokeErr)
}

// revoke asks the provider to revoke token. No revocation endpoint is no
// error: there is nothing to ask.
func (m *Manager) revoke(ctx context.Context, token, hint string) error {
	p, err := m.Provider(ctx)
	if err != nil {
		return fmt.Errorf("session: revocation: %w", err)
	}
	if p.RevocationEndpoint == "" {
		return nil
	}
	form := url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {m.cfg.ClientID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.RevocationEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("session: revocation: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("session: revocation: %w: %w", ErrProviderUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return readProviderError("revocation", resp)
}

// schedule renews credentials ahead of expiry until Close. Transient
// failures are retried with exponential backoff (1 s doubling up to a
// minute), while the current token is valid and after.
func (m *Manager) schedule() {
	defer close(m.done)
	if m.cfg.ManualRenewal {
		<-m.ctx.Done()
		return
	}
	failures := 0
	for {
		m.mu.Lock()
		c, at := m.creds, m.renewAt
		m.mu.Unlock()
		now := m.clock.Now()
		var timer <-chan time.Time
		switch {
		case c == nil:
			failures = 0
		case c.CanRenew(now) && !at.IsZero():
			timer = m.clock.After(max(0, at.Sub(now)))
		case !c.CanRenew(now) && !c.Expiry.IsZero() && c.Expiry.After(now):
			timer = m.clock.After(c.Expiry.Sub(now))
		}
		select {
		case <-m.ctx.Done():
			return
		case <-m.wake:
			continue
		case <-timer:
		}
		if !c.CanRenew(m.clock.Now()) {
			m.publish(StateEnded, nil, "Your session expired. Please sign in again.")
			continue
		}
		_, err := m.renew(m.ctx, 0, true)
		switch {
		case err == nil:
			failures = 0
		case m.ctx.Err() != nil:
			return
		default:
			failures++
			backoff := min(time.Second<<min(failures-1, 6), time.Minute)
			retryAt := m.clock.Now().Add(backoff)
			m.log.Info("session: renewal failed; will retry", "in", backoff, "error", err)
			// Wait for the retry time even though renewAt has passed.
			m.mu.Lock()
			if m.creds != nil {
				m.renewAt = retryAt
			}
			m.mu.Unlock()
		}
	}
}

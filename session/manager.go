package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Manager keeps one person's session with one provider: it signs in,
// stores the credentials, hands out valid access tokens (as [Credentials],
// an [oauth2.TokenSource] or an [*http.Client]), renews them ahead of
// expiry, and signs out.
//
// A Manager is safe for concurrent use. [New] starts a background
// scheduler that renews credentials before they expire, unless
// [Config.ManualRenewal] is set; [Manager.Close] stops it.
//
// [oauth2.TokenSource]: https://pkg.go.dev/golang.org/x/oauth2#TokenSource
type Manager struct {
	cfg       Config
	clock     Clock
	http      *http.Client
	log       *slog.Logger
	vault     *vault
	providers *providerCache
	refresher refresher
	renewals  inflight
	events    events
	scheduler *scheduler // nil with ManualRenewal

	ctx    context.Context // ends with Close
	cancel context.CancelFunc

	// hot is what the hot path reads without a lock (see hot.go).
	hot      atomic.Pointer[hotCreds]
	namedHot atomic.Pointer[[]*hotNamed]

	mu     sync.Mutex
	loaded bool         // the store has been read
	creds  *Credentials // nil: signed out
	dirty  bool         // creds are newer than the store
	// dirtyFrom is the refresh token that dirty creds were renewed from:
	// while the store still holds it, creds are its successor.
	dirtyFrom string
	// failures counts the renewals in a row that failed for a transient
	// reason; the next is not tried before retryAt, and a caller that
	// needs a renewal before then gets lastFailure at once.
	failures    int
	retryAt     time.Time
	lastFailure error
	// offlineUntil is retryAt and lastFailure for readers without m.mu
	// (nil: no failure).
	offlineUntil atomic.Pointer[offlineState]

	// key is the DPoP key of creds once read (nil: not bound, or not read
	// yet); nonces are the servers' latest DPoP nonces.
	key    *dpopKey
	nonces dpopNonces
	// named are the named tokens held (nil: not read yet), and
	// namedFlights their single flights, by name.
	named         map[string]namedRecord
	namedFlights  map[string]*inflight
	namedRenewals map[string]*namedRenewal // nil with ManualRenewal

	skew     skew        // the provider's clock minus ours
	watcher  *watcher    // nil with ManualRenewal
	revoking atomic.Bool // retryRevocations runs
}

// New checks cfg and returns a [Manager]. It does not touch the network
// or the store: the first call that needs credentials reads the store.
func New(cfg Config) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Manager{
		cfg:   cfg,
		clock: cfg.Clock,
		log:   cfg.Logger,
		vault: &vault{store: cfg.Store, key: cfg.StoreKey, lockPath: cfg.lockPath(), genPath: cfg.genPath()},
	}
	// Every request to the provider goes through the skew observer, which
	// reads the provider's clock from its Date headers.
	provider := *cfg.HTTPClient
	provider.Transport = &skewObserver{base: cfg.HTTPClient.Transport, clock: cfg.Clock, skew: &m.skew}
	m.http = &provider
	m.refresher = refresher{
		clientID: cfg.ClientID, http: m.http, clock: cfg.Clock,
		resourceParam: cfg.ResourceParameter, now: m.providerNow, nonces: &m.nonces,
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.providers = &providerCache{
		issuer: cfg.Issuer, clientID: cfg.ClientID, http: m.http, now: m.providerNow,
		leeway: cfg.Leeway, log: cfg.Logger, keysCtx: m.ctx,
	}
	if !cfg.ManualRenewal {
		m.scheduler = newScheduler(cfg.Clock, cfg.RenewAt, cfg.Logger, m.scheduledRenewal,
			func() { m.publish(StateEnded, ErrSessionExpired) }, (*Credentials).CanRenew)
		go m.scheduler.run(m.ctx)
		m.watcher = newWatcher(m.vault, m.log, m.followStore, cfg.pollStore)
		go m.watcher.run(m.ctx)
	}
	return m, nil
}

// Close stops the background scheduler and the subscribers' goroutines.
// Credentials stay stored. Close does not wait for a renewal in flight to
// finish; it cancels it.
func (m *Manager) Close() error {
	m.cancel()
	if m.scheduler != nil {
		<-m.scheduler.done
		<-m.watcher.done
	}
	m.mu.Lock()
	renewals := m.namedRenewals
	m.namedRenewals = nil
	m.mu.Unlock()
	for _, r := range renewals {
		<-r.s.done
	}
	m.events.closeAll()
	return nil
}

// Config returns the configuration the Manager runs with, defaults filled
// in.
func (m *Manager) Config() Config { return m.cfg }

// Provider returns the provider's discovered configuration, fetched once
// for the life of the Manager.
func (m *Manager) Provider(ctx context.Context) (*Provider, error) {
	p, _, err := m.providers.get(ctx)
	return p, err
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
// wrapping [ErrNoCredentials]. The result is a copy.
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
// refresh request. In steady state (the background scheduler renews ahead
// of expiry) the call takes no lock and allocates nothing: the result is
// then shared with other callers, and must not be changed.
//
// Errors: [ErrNoCredentials] when nobody is signed in; [ErrSignInRequired]
// when the credentials cannot be renewed (no refresh token, or the
// provider rejected it: the session has then ended and the stored
// credentials are removed); [ErrProviderUnreachable] for transient
// failures (the stored credentials are kept); [ErrKeychainUnavailable]
// when the store fails.
func (m *Manager) Credentials(ctx context.Context, minTTL time.Duration) (*Credentials, error) {
	if h, ok := m.hotToken(minTTL); ok {
		return h.c, nil
	}
	if c, err, ok := m.renewals.join(ctx); ok && (err != nil || c.ValidFor(m.clock.Now(), minTTL)) {
		// A renewal is under way (the moment a token expires, many callers
		// come at once): wait for it, taking no lock.
		return c, err
	}
	var c *Credentials
	if h := m.hot.Load(); h != nil {
		// Held and stored, but not valid for minTTL: a renewal follows,
		// started or joined without taking a lock.
		c = h.c
	} else {
		var err error
		if c, err = m.load(ctx); err != nil {
			return nil, err
		}
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
		return nil, fmt.Errorf("the access token expired and no refresh token is held: %w", ErrSessionExpired)
	}
	if err := m.offline(now); err != nil {
		return nil, err
	}
	return m.renew(ctx, minTTL, false)
}

// offline returns the last renewal's transient failure while its retry is
// not due: a caller then learns at once that the provider cannot be
// reached, instead of waiting for it again.
func (m *Manager) offline(now time.Time) error {
	if o := m.offlineUntil.Load(); o != nil && now.Before(o.retryAt) {
		return o.err
	}
	return nil
}

// offlineState is a transient failure, and when the next renewal is due.
type offlineState struct {
	retryAt time.Time
	err     error
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
	stored, err := m.vault.read(ctx)
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
	m.setLocked(stored, false)
	m.mu.Unlock()
	if m.watcher != nil {
		go m.retryRevocationsLater()
	}
	if stored != nil && stored.KeyThumbprint != "" {
		// Bound tokens are of no use without their key: a session whose
		// key is gone ends here, with that reason.
		if _, err := m.keyFor(ctx, stored); errors.Is(err, ErrSignInRequired) {
			return nil, err
		}
	}
	now := m.clock.Now()
	switch {
	case stored == nil:
		m.publish(StateSignedOut, nil)
	case !stored.ValidFor(now, 0) && !stored.CanRenew(now):
		m.publish(StateEnded, ErrSessionExpired)
	default:
		m.publish(StateSignedIn, nil)
	}
	return stored, nil
}

// setLocked replaces the credentials in memory and plans their renewal.
// dirty says they are not stored yet. m.mu must be held.
func (m *Manager) setLocked(c *Credentials, dirty bool) {
	if dirty && !m.dirty && m.creds != nil {
		m.dirtyFrom = m.creds.RefreshToken
	}
	if c == nil || m.creds == nil || c.SessionID != m.creds.SessionID {
		m.setNamedLocked(nil) // another session's, or none
	}
	if c == nil || (m.key != nil && c.KeyThumbprint != m.key.thumbprint) {
		m.key = nil
	}
	m.creds = c
	m.dirty = dirty
	if !dirty {
		m.dirtyFrom = ""
	}
	m.refreshHotLocked()
	if m.scheduler != nil {
		m.scheduler.plan(c)
	}
}

// set is setLocked for a caller that does not hold m.mu.
func (m *Manager) set(c *Credentials, dirty bool) {
	m.mu.Lock()
	m.setLocked(c, dirty)
	m.mu.Unlock()
}

// flush stores credentials that a failed store write left in memory only,
// unless the store moved on meanwhile (see syncLocked).
func (m *Manager) flush(ctx context.Context) error {
	m.mu.Lock()
	dirty := m.dirty
	m.mu.Unlock()
	if !dirty {
		return nil
	}
	lock, err := m.vault.lock(ctx)
	if err != nil {
		return err
	}
	defer lock.release()
	c, err := m.syncLocked(ctx)
	if err != nil {
		return err
	}
	if c == nil {
		return ErrSignedOutElsewhere
	}
	return nil
}

// KeepInMemory stops using [Config.Store] for the rest of this Manager's
// life: credentials are then kept in memory only, and end with the
// program. Call it with the person's consent, when the keychain cannot be
// used; nothing is ever written to a file instead. Credentials held in
// memory are kept.
func (m *Manager) KeepInMemory() {
	mem := &MemoryStore{}
	m.mu.Lock()
	defer m.mu.Unlock()
	bg := context.Background()
	if m.creds != nil {
		if b, err := m.creds.marshal(); err == nil {
			_ = mem.Set(bg, m.cfg.StoreKey, b)
		}
	}
	m.vault.use(mem)
	if m.key != nil {
		_ = m.vault.writeKey(bg, m.key)
	}
	if len(m.named) > 0 {
		_ = m.vault.writeNamed(bg, m.named)
	}
	m.loaded = true
	if m.dirty {
		m.setLocked(m.creds, false)
	}
	m.refreshHotLocked()
}

// publish sends a state event with what is known of the credentials held.
func (m *Manager) publish(s State, err error) {
	e := Event{State: s, Err: err, At: m.clock.Now()}
	m.mu.Lock()
	if c := m.creds; c != nil {
		e.Subject = c.Subject()
		e.Expiry = c.Expiry
		e.LastRenewal = c.ObtainedAt
		e.RefreshToken = c.RefreshToken != ""
		e.RefreshExpiry = c.RefreshExpiry
	}
	m.mu.Unlock()
	m.events.publish(e)
}

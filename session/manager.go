package session

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Manager keeps one person's session with one provider: it signs in
// ([Manager.LoginWithBrowser], [Manager.StartDeviceLogin]), stores the
// credentials, hands out valid access tokens, renews them ahead of
// expiry, and signs out ([Manager.Logout]).
//
// A token is handed out in four ways, one for each kind of caller, and
// they all renew when needed: [Manager.Credentials] (the tokens
// themselves), [Manager.TokenSource] (an [oauth2.TokenSource], for any Go
// library that takes one), [Manager.Client] (an [*http.Client]) and
// [Manager.Header] (the header lines of one request sent by other means).
// Tokens for other APIs, from the same sign-in, come the same four ways
// from [Manager.NamedToken].
//
// A Manager is safe for concurrent use, and several Managers on the same
// store, in this process or others, share one session: they take a file
// lock to renew, and follow each other's sign-in, renewal and sign-out.
// [New] starts background renewal unless [Config.ManualRenewal] is set;
// [Manager.Close] stops it.
//
// [oauth2.TokenSource]: https://pkg.go.dev/golang.org/x/oauth2#TokenSource
type Manager struct {
	cfg       Config
	now       func() time.Time
	http      *http.Client
	log       *slog.Logger
	store     *sessionStore
	providers *providerCache
	refresher refresher
	events    events
	nonces    dpopNonces // the servers' latest DPoP nonces
	skew      skew       // the provider's clock minus ours
	watcher   *watcher   // nil with ManualRenewal
	revoking  atomic.Bool

	// session is the session's own token: its credentials, renewed with
	// the refresh token.
	session *token

	ctx    context.Context // ends with Close
	cancel context.CancelFunc

	mu     sync.Mutex
	loaded bool // the store's credentials have been read
	// dirty says the session's credentials are newer than the store's (a
	// write failed); dirtyFrom is the refresh token they were renewed
	// from: while the store still holds it, they are its successor.
	dirty     bool
	dirtyFrom string
	// key is the DPoP key of the session's credentials once read (nil:
	// not bound, or not read yet).
	key *dpopKey
	// named are the named tokens, by name, made on first use;
	// namedLoaded says the store's named tokens have been read for this
	// session.
	named       map[string]*token
	namedLoaded bool
	// unstored is the sign-in whose credentials the keychain could not
	// take, until KeepInMemory takes them (the person need not sign in
	// again) or another sign-in succeeds.
	unstored *unstoredSignIn
}

// unstoredSignIn is a sign-in's credentials and key, not stored.
type unstoredSignIn struct {
	creds *Credentials
	key   *dpopKey
}

// New checks cfg and returns a [Manager]. It does not touch the network
// or the store: the first call that needs credentials reads the store.
func New(cfg Config) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	store := cfg.Store
	if store == nil {
		store = &memStore{}
	}
	m := &Manager{
		cfg: cfg,
		now: cfg.Now,
		log: cfg.Logger,
		store: &sessionStore{backend: store, key: cfg.StoreKey, lockPath: cfg.lockPath(), genPath: cfg.genPath(),
			pendingPath: cfg.pendingPath(), sentPath: cfg.sentPath(), endedPath: cfg.endedPath(), waitPath: cfg.waitPath()},
	}
	m.http = providerClient(cfg.HTTPClient, cfg.Now, &m.skew)
	m.refresher = refresher{
		clientID: cfg.ClientID, clientSecret: cfg.ClientSecret, http: m.http, now: cfg.Now,
		resourceParam: cfg.ResourceParameter, providerNow: m.providerNow, nonces: &m.nonces,
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.providers = &providerCache{
		issuer: cfg.Issuer, clientID: cfg.ClientID, http: m.http, now: m.providerNow,
		leeway: cfg.Leeway, log: cfg.Logger, keysCtx: m.ctx,
	}
	m.session = m.newToken("", nil)
	if !cfg.ManualRenewal {
		m.watcher = newWatcher(m.store, m.log, m.followStore, cfg.pollStore)
		go m.watcher.run(m.ctx)
	}
	return m, nil
}

// Close stops the background renewal and the subscribers' goroutines,
// when the program is done with the Manager. The session stays, stored
// for the next run: to end it, use [Manager.Logout]. Close does not wait
// for a renewal in flight to finish; it cancels it.
func (m *Manager) Close() error {
	m.cancel()
	if m.watcher != nil {
		<-m.watcher.done
	}
	m.mu.Lock()
	tokens := []*token{m.session}
	for _, t := range m.named {
		tokens = append(tokens, t)
	}
	m.mu.Unlock()
	for _, t := range tokens {
		if t.sched != nil {
			<-t.sched.done
		}
	}
	m.events.closeAll()
	return nil
}

// Provider returns what discovery tells of the provider (its endpoints),
// fetched once for the life of the Manager: for a program that calls the
// provider's userinfo endpoint, or names the provider to the person.
func (m *Manager) Provider(ctx context.Context) (*Provider, error) {
	p, _, err := m.providers.get(ctx)
	return p, err
}

// State returns the session's latest state event: for a status shown
// once. To follow the state as it changes, use [Manager.Subscribe].
func (m *Manager) State() Event { return m.events.state() }

// Subscribe calls fn with the current state at once and then with every
// change, until the returned function is called or the Manager is closed:
// for a window or a tray icon that shows the session.
//
// fn runs on a goroutine that belongs to this subscription, never on the
// caller's goroutine nor while the Manager holds a lock: events for one
// subscriber arrive one at a time and in order, and a slow subscriber
// delays no one else. A UI forwards each event to its own thread (in Fyne,
// with fyne.Do).
func (m *Manager) Subscribe(fn func(Event)) (unsubscribe func()) {
	return m.events.subscribe(fn)
}

// Held returns the session's credentials as they are held, without
// renewing them and without the network: from memory, or from the store
// the first time. Use it where no token is sent: to decide at launch
// whether to sign in (with [Credentials.ValidFor] and
// [Credentials.CanRenew]), or to show who is signed in. To send a token,
// use [Manager.Credentials], which renews. Nobody signed in is
// [ErrNoCredentials]. The result is a copy.
func (m *Manager) Held(ctx context.Context) (*Credentials, error) {
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
// minTTL: the held ones, or renewed ones, stored before they are returned.
// Use it for the tokens themselves (to hand the access token to another
// program, or to read the ID token); [Manager.TokenSource],
// [Manager.Client] and [Manager.Header] are the same for the ways
// requests are sent. Concurrent calls that need a renewal share one
// refresh request. In steady state (the background renewal renews ahead
// of expiry) the call takes no lock and allocates nothing: the result is
// then shared with other callers, and must not be changed.
//
// Errors: [ErrNoCredentials] when nobody is signed in;
// [ErrSignInRequired] when the credentials cannot be renewed (no refresh
// token, or the provider refused it: the session has then ended, and the
// stored credentials are removed); [ErrProviderUnreachable] for
// transient failures (the stored credentials are kept, and a caller
// learns it at once while the retry is not due); [ErrKeychainUnavailable]
// when the store fails.
func (m *Manager) Credentials(ctx context.Context, minTTL time.Duration) (*Credentials, error) {
	return m.session.get(ctx, minTTL)
}

// Renew renews the credentials now, whatever their expiry, and returns the
// new ones once stored. Renewal happens by itself when it is needed: use
// Renew only when the person asks for it (a "Renew now" button), or to
// take up at once a change made at the provider (new scopes, claims). If
// another process renewed meanwhile, its credentials are adopted instead
// of spending the refresh token again. Concurrent calls share one refresh
// request.
func (m *Manager) Renew(ctx context.Context) (*Credentials, error) {
	if _, err := m.load(ctx); err != nil {
		return nil, err
	}
	return m.session.renew(ctx, 0, true)
}

// TokenSource returns the session as an [oauth2.TokenSource]: each Token
// call returns an access token valid for at least minTTL, from memory in
// steady state and renewed when needed, exactly as [Manager.Credentials]
// does. Any Go library that accepts a token source (oauth2.NewClient,
// google.golang.org/api, gRPC's oauth credentials) then runs on this
// session. For a DPoP-bound session, use [Manager.Client] instead: each
// request needs a proof, which a token source cannot make.
//
// The source is safe for concurrent use and needs no ReuseTokenSource
// around it: the Manager caches and renews. In steady state Token takes
// no lock and allocates nothing; the token it returns is shared, as
// ReuseTokenSource's is, and must not be changed. A Token call that must
// renew waits at most a minute. The token never carries the refresh
// token.
//
// [oauth2.TokenSource]: https://pkg.go.dev/golang.org/x/oauth2#TokenSource
func (m *Manager) TokenSource(minTTL time.Duration) oauth2.TokenSource {
	return source{t: m.session, minTTL: minTTL}
}

// Client returns an [*http.Client] that authorizes each request with the
// session's current access token, renewing it first when it expires
// within 10 seconds: "Authorization: Bearer", or for DPoP tokens
// "Authorization: DPoP" and a fresh proof. Use it to call an API; it is
// what [Manager.TokenSource] gives through oauth2.NewClient, and more:
// the token is fetched with the request's own context, a DPoP-bound
// token gets its proof, and a request the server refuses with
// invalid_token is sent once more with a renewed token (or with the
// nonce a DPoP server asks for) when its body can be read again. Its
// transport is based on ctx's [oauth2.HTTPClient] value when set, else on
// [Config.HTTPClient].
//
// A request that fails to get a token fails with that error (for example
// [ErrSignInRequired]) and is not sent; so is a request in plain http
// off this machine.
func (m *Manager) Client(ctx context.Context) *http.Client { return m.session.client(ctx) }

// Header returns the header lines that authorize one request of method
// to target with the session's access token, for a request that another
// program or library sends (curl, say): "Authorization: Bearer TOKEN", or
// for a DPoP token "Authorization: DPoP TOKEN" and a "DPoP" proof made for
// this method and address, carrying the last nonce the server gave. The
// token is valid for at least 10 seconds. A proof is good for one
// request: ask again for the next. To send the request yourself in Go,
// [Manager.Client] does this for you.
//
// Errors: those of [Manager.Credentials]; an address that is not https
// off this machine.
func (m *Manager) Header(ctx context.Context, method, target string) (http.Header, error) {
	return m.session.header(ctx, method, target)
}

// KeepInMemory stops using [Config.Store] for the rest of this Manager's
// life: credentials are then kept in memory only, and end with the
// program, as with a nil Store. Call it with the person's consent when
// the keychain cannot be used (the store fails with
// [ErrKeychainUnavailable]); nothing is ever written to a file instead.
// What is held in memory is kept, and so is a sign-in that failed only
// because the keychain could not store it: the person is signed in with
// it at once (a [StateSignedIn] event follows).
func (m *Manager) KeepInMemory() {
	mem := &memStore{}
	m.mu.Lock()
	bg := context.Background()
	adopted := false
	if u := m.unstored; u != nil && m.session.creds == nil {
		m.key = u.key
		m.setLocked(u.creds, false)
		adopted = true
	}
	m.unstored = nil
	if c := m.session.creds; c != nil {
		if b, err := c.marshal(); err == nil {
			_ = mem.Set(bg, m.cfg.StoreKey, b)
		}
	}
	m.store.use(mem)
	if m.key != nil {
		_ = m.store.writeKey(bg, m.key)
	}
	records := map[string]record{}
	for name, t := range m.named {
		if t.creds != nil {
			records[name] = recordOf(t.api, t.creds)
		}
	}
	if len(records) > 0 {
		_ = m.store.writeNamed(bg, records)
	}
	m.loaded = true
	if m.dirty {
		m.setLocked(m.session.creds, false)
	}
	m.session.publishLocked()
	m.mu.Unlock()
	if adopted {
		m.publish(StateSignedIn, nil)
	}
}

// publish sends a state event with what is known of the credentials held.
func (m *Manager) publish(s State, err error) {
	e := Event{State: s, Err: err, At: m.now()}
	m.mu.Lock()
	if c := m.session.creds; c != nil {
		e.Subject = c.subject()
		e.Expiry = c.Expiry
		e.LastRenewal = c.ObtainedAt
		e.RefreshToken = c.RefreshToken != ""
		e.RefreshExpiry = c.RefreshExpiry
	}
	m.mu.Unlock()
	m.events.publish(e)
}

// publishRenewal publishes what became of a renewal: of the session's own
// token (own), whose state was before as it started; or of a named
// token, which tells only the end of the session.
func (m *Manager) publishRenewal(own bool, before State, err error) {
	switch {
	case !own:
		if errors.Is(err, ErrSignInRequired) {
			m.publish(StateEnded, err)
		}
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
}

// followStore takes what another process stored (or removed) as current,
// and says so to subscribers.
func (m *Manager) followStore() {
	ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
	defer cancel()
	m.mu.Lock()
	loaded, mem, dirty := m.loaded, m.session.creds, m.dirty
	m.mu.Unlock()
	if !loaded || dirty {
		return // nothing read yet; or a renewal reconciles memory first
	}
	stored, err := m.store.read(ctx)
	if err != nil {
		m.log.Warn("reading what another process stored failed", "error", err)
		return
	}
	if same(mem, stored) {
		return
	}
	m.mu.Lock()
	if m.session.creds != mem {
		m.mu.Unlock()
		return // this process moved on meanwhile
	}
	m.setLocked(stored, false)
	m.mu.Unlock()
	if stored == nil {
		m.publish(StateSignedOut, ErrSignedOutElsewhere)
		return
	}
	m.publish(StateSignedIn, nil)
}

// providerNow is the provider's time: the local clock corrected by the
// skew.
func (m *Manager) providerNow() time.Time { return m.now().Add(m.skew.get()) }

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

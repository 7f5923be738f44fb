package session

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latchapp/latch/base/filelock"
	"github.com/latchapp/latch/base/secureurl"
)

// defaultScopes are requested when [Config.Scopes] is empty.
var defaultScopes = []string{"openid", "profile", "email", "offline_access"}

// defaultHTTPTimeout bounds each request to the provider when
// [Config.HTTPClient] is nil.
const defaultHTTPTimeout = 30 * time.Second

// Config configures a [Manager]. Issuer and ClientID are required.
type Config struct {
	// Issuer is the provider's issuer URL, for discovery.
	Issuer string
	// ClientID is this application's public client ID at the provider.
	ClientID string
	// ClientSecret is sent with the client ID (client_secret_post) by a
	// provider that gives installed applications a secret that is not
	// secret, such as Google's "Desktop app" clients; empty for a public
	// client.
	ClientSecret string
	// Scopes are requested at sign-in; empty means "openid profile email
	// offline_access".
	Scopes []string
	// Audience, when set, is sent as the "audience" parameter (Auth0's way
	// of naming the API an access token is for).
	Audience string
	// APIs declares the named tokens the program will ask for, by name
	// (see [Manager.NamedToken]). Sign-in asks for them too: their
	// audiences as resource indicators (RFC 8707) and their scopes, since
	// a provider issues a token only for an API that the grant includes.
	APIs map[string]API
	// AuthParams are added to the browser sign-in's authorization request
	// (Google's access_type=offline, for example); [BrowserLogin.Prompt]
	// takes precedence over a prompt given here.
	AuthParams url.Values
	// ResourceParameter names the request parameter that says which API a
	// named token is for: empty means "resource" (RFC 8707); Auth0 takes
	// "audience". With "audience", sign-in sends only [Config.Audience],
	// and the APIs' scopes: Auth0 allows one audience per sign-in, and
	// issues tokens for the other APIs from the refresh token as the
	// application's refresh token policies allow.
	ResourceParameter string
	// DPoP binds the tokens to a key pair that only this machine holds
	// (RFC 9449): an ES256 key is made at sign-in and kept in Store beside
	// the credentials, every token request carries a proof made with it,
	// and so does every request that [Manager.Client] and [Manager.Header]
	// authorize, and their [NamedToken] twins. Its change takes effect at
	// the next sign-in.
	DPoP bool
	// Store keeps the credentials between runs of the program: in
	// applications the operating system's keychain,
	// keychain.New("my-app") from package
	// github.com/latchapp/latch/session/keychain. Nil keeps them in memory
	// only, for the life of the Manager, as [Manager.KeepInMemory] does:
	// for tests, and for a person who chose not to be remembered.
	Store Store
	// StoreKey names the credentials in Store; empty means a key derived
	// from Issuer and ClientID, so that several providers can be held.
	StoreKey string
	// EndSessionEndpoint is where [Manager.LogoutWithBrowser] ends the
	// provider's browser session when the provider's discovery document
	// names no end_session_endpoint: Auth0's /v2/logout, for example, which
	// is also sent client_id and returnTo. Empty: only discovery's.
	EndSessionEndpoint string
	// HTTPClient makes every request to the provider, and is the base of
	// [Manager.Client]; nil means a client whose requests time out after
	// 30 seconds. The provider's requests are bounded by their calls, not
	// by its Timeout: a renewal goes on after its callers gave up, for up
	// to two minutes, so that an answer that comes late is stored.
	HTTPClient *http.Client
	// Now is the clock; nil means [time.Now]. Tests set it to move the
	// local clock against the provider's.
	Now func() time.Time
	// Leeway is the clock skew allowed on an ID token's exp and iat; 0
	// means 30 seconds, a negative value none. ID tokens are checked on
	// the provider's clock, learnt from its answers' Date headers.
	Leeway time.Duration
	// RenewAt is the part of an access token's lifetime after which the
	// background scheduler renews it, before jitter of up to 5% is added;
	// 0 means 0.75. Values are clamped to [0.1, 0.9].
	RenewAt float64
	// LockDir holds the file lock that serialises writes across processes
	// and the file whose change tells other processes to read the store
	// again; empty means the "latch" folder in the user's cache directory.
	// Neither file holds a secret. The folder must be the user's alone
	// (on Unix: owned by them, not writable by others; links are not
	// followed): [New] makes it when it is missing, and refuses one that
	// is not.
	LockDir string
	// Logger receives diagnostics; nil discards them. No token is logged.
	Logger *slog.Logger
	// RedirectURL, when set, is the loopback address a browser sign-in
	// listens on, http://127.0.0.1:PORT/PATH (or [::1], or localhost):
	// for a provider that registers one exact redirect address. Empty
	// takes a random port of 127.0.0.1 and the path /callback, which
	// providers that follow RFC 8252 accept for http://127.0.0.1/callback.
	RedirectURL string
	// ManualRenewal turns the background scheduler off: credentials are
	// renewed only when [Manager.Credentials] or [Manager.Renew] need it.
	// Short-lived programs (a command that prints a token and exits) set
	// it.
	ManualRenewal bool

	// pollStore makes the watcher poll instead of asking the platform to
	// report changes: for tests in a testing/synctest bubble, where a
	// goroutine blocked on the platform's events would stop the clock.
	pollStore bool
}

// withDefaults checks c and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Issuer == "" {
		return c, errors.New("an issuer is required (Config.Issuer)")
	}
	if u, err := url.Parse(c.Issuer); err != nil || u.Scheme == "" || u.Host == "" {
		return c, fmt.Errorf("the issuer %q is not a URL (Config.Issuer)", c.Issuer)
	}
	if c.ClientID == "" {
		return c, errors.New("a client ID is required (Config.ClientID)")
	}
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	if c.RedirectURL != "" {
		if err := secureurl.CheckRedirect(c.RedirectURL); err != nil {
			return c, fmt.Errorf("Config.RedirectURL: %w", err)
		}
	}
	if len(c.Scopes) == 0 {
		c.Scopes = defaultScopes
	}
	if c.ResourceParameter == "" {
		c.ResourceParameter = "resource"
	}
	for name, api := range c.APIs {
		if err := api.check(name, c.ResourceParameter); err != nil {
			return c, err
		}
	}
	switch {
	case c.RenewAt == 0:
		c.RenewAt = 0.75
	case c.RenewAt < 0.1:
		c.RenewAt = 0.1
	case c.RenewAt > 0.9:
		c.RenewAt = 0.9
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.StoreKey == "" {
		c.StoreKey = "session-" + c.id()
	}
	if c.LockDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return c, fmt.Errorf("no folder for the lock files: set Config.LockDir (%w)", err)
		}
		c.LockDir = filepath.Join(cache, "latch")
	}
	if err := filelock.MkdirPrivate(c.LockDir); err != nil {
		return c, fmt.Errorf("the lock folder cannot be used (Config.LockDir): %w", err)
	}
	return c, nil
}

// id names this issuer and client pair in store keys and lock files.
func (c Config) id() string {
	sum := sha256.Sum256([]byte(c.Issuer + "\n" + c.ClientID))
	return hex.EncodeToString(sum[:8])
}

// lockPath is the file whose lock serialises writes across processes.
func (c Config) lockPath() string {
	return filepath.Join(c.LockDir, "renew-"+c.sessionID()+".lock")
}

// sessionID names the session in its lock files: as the issuer and
// client pair when the session has the default store key (as every Latch
// before StoreKey named them), else as its store key, so that two sessions
// at one provider keep two locks.
func (c Config) sessionID() string {
	if c.StoreKey == "session-"+c.id() {
		return c.id()
	}
	return c.keyID()
}

// pendingPath is the file whose presence says that the store holds
// revocations not sent yet; sentPath holds when the provider was last
// told of a sign-out. Both are named by the store key, as the queue is.
func (c Config) pendingPath() string { return filepath.Join(c.LockDir, "revoke-pending-"+c.keyID()) }
func (c Config) sentPath() string    { return filepath.Join(c.LockDir, "revoke-sent-"+c.keyID()) }

// endedPath holds why the session last ended.
func (c Config) endedPath() string { return filepath.Join(c.LockDir, "ended-"+c.keyID()) }

// keyID names StoreKey in file names.
func (c Config) keyID() string {
	sum := sha256.Sum256([]byte(c.StoreKey))
	return hex.EncodeToString(sum[:8])
}

// genPath is the file that every write changes, so that other processes
// notice: it holds a random value, never a secret.
func (c Config) genPath() string {
	return filepath.Join(c.LockDir, "gen-"+c.sessionID())
}

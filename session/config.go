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
)

// DefaultScopes are requested when [Config.Scopes] is empty.
var DefaultScopes = []string{"openid", "profile", "email", "offline_access"}

// Clock tells the time and waits. Tests inject a fake one through
// [Config.Clock].
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// DefaultHTTPTimeout bounds each request to the provider when
// [Config.HTTPClient] is nil.
const DefaultHTTPTimeout = 30 * time.Second

// Config configures a [Manager]. Issuer, ClientID and Store are required.
type Config struct {
	// Issuer is the provider's issuer URL, for discovery.
	Issuer string
	// ClientID is this application's public client ID at the provider.
	ClientID string
	// Scopes are requested at sign-in; empty means [DefaultScopes].
	Scopes []string
	// Audience, when set, is sent as the "audience" parameter (Auth0's way
	// of naming the API an access token is for).
	Audience string
	// APIs declares the named tokens the program will ask for, by name
	// (see [Manager.NamedToken]). Sign-in asks for them too: their
	// audiences as resource indicators (RFC 8707) and their scopes, since
	// a provider issues a token only for an API that the grant includes.
	APIs map[string]API
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
	// and so does every request that [Manager.Client], [Manager.Header],
	// [NamedToken] and [Transport] send. Its change takes effect at the
	// next sign-in.
	DPoP bool
	// Store keeps the credentials: a [*Keychain] in applications.
	Store Store
	// StoreKey names the credentials in Store; empty means a key derived
	// from Issuer and ClientID, so that several providers can be held.
	StoreKey string
	// HTTPClient makes every request to the provider, and is the base of
	// [Manager.Client]; nil means a client with [DefaultHTTPTimeout].
	HTTPClient *http.Client
	// Clock is the time source; nil means the system clock.
	Clock Clock
	// Leeway is the clock skew allowed when checking ID tokens; see
	// [VerifierConfig.Leeway].
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
	// followed), or every write fails with [ErrLockDirNotPrivate].
	LockDir string
	// Logger receives diagnostics; nil discards them. No token is logged.
	Logger *slog.Logger
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
	if c.Store == nil {
		return c, errors.New("a store is required (Config.Store)")
	}
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes
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
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
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
	return c, nil
}

// id names this issuer and client pair in store keys and lock files.
func (c Config) id() string {
	sum := sha256.Sum256([]byte(c.Issuer + "\n" + c.ClientID))
	return hex.EncodeToString(sum[:8])
}

// lockPath is the file whose lock serialises writes across processes.
func (c Config) lockPath() string {
	return filepath.Join(c.LockDir, "renew-"+c.id()+".lock")
}

// genPath is the file that every write changes, so that other processes
// notice: it holds a random value, never a secret.
func (c Config) genPath() string {
	return filepath.Join(c.LockDir, "gen-"+c.id())
}

package latchapp

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxclient"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
	"github.com/latchapp/latch/session/keychain"
)

// httpTimeout bounds each request to the provider and the metadata API.
const httpTimeout = 30 * time.Second

// KeychainService names Latch's items in the operating system's keychain.
const KeychainService = "latch"

// Options are what [Open] takes from the world; zero fields take the
// defaults.
type Options struct {
	// Store keeps the credentials; nil means the keychain, under
	// [KeychainService].
	Store session.Store
	// InMemory keeps the credentials in memory only, for this run: the
	// person's choice when the keychain cannot be used. Nothing is
	// written to a file instead.
	InMemory bool
	// LockDir is passed to [session.Config.LockDir].
	LockDir string
	// SandboxStateFile is the sandbox's state file; empty means its
	// default.
	SandboxStateFile string
	// Sandbox starts the built-in sandbox when the session needs it and
	// none runs; nil means the program latch-sandbox
	// ([sandboxclient.Program]).
	Sandbox sandboxclient.Starter
	// Logger receives diagnostics, never tokens; nil discards them.
	Logger *slog.Logger
	// HTTPClient makes the requests to the provider and the metadata API;
	// nil means the session's default.
	HTTPClient *http.Client
	// ManualRenewal turns the session's background renewal off, for
	// commands that end at once.
	ManualRenewal bool
	// KeychainAsking, when set, is told that the keychain has started
	// asking the person (see [keychain.Store.Asking]); [Asking] says what
	// to answer.
	KeychainAsking func(keeper string)
}

// Account is one provider and the person's session with it, opened: what
// the commands and the desktop app work with. Nothing in it changes after
// [Open].
type Account struct {
	// Config is the configuration, with the sandbox's issuer filled in
	// when it is used.
	Config Config
	// Manager holds the person's session.
	Manager *session.Manager
	// Metadata reads and changes user_metadata with the session's token;
	// its BaseURL is empty when the provider has no metadata API.
	Metadata *profile.MetadataClient
	// Log receives diagnostics; never tokens.
	Log *slog.Logger

	close func()
	// following is told when the keychain asks the person (see
	// FollowKeychain).
	following atomic.Pointer[func(keeper string)]
}

// FollowKeychain has follow told, on the goroutine of the keychain call,
// when the keychain starts asking the person while this account's session
// uses it (see [keychain.Store.Asking]), besides
// [Options.KeychainAsking]; it replaces the follower before it, and nil
// stops it. With the keychain of another [Options.Store], it is never
// called.
func (a *Account) FollowKeychain(follow func(keeper string)) {
	if follow == nil {
		a.following.Store(nil)
		return
	}
	a.following.Store(&follow)
}

// keychainAsking tells those who follow the keychain that it asks.
func (a *Account) keychainAsking(opts Options) func(keeper string) {
	return func(keeper string) {
		if opts.KeychainAsking != nil {
			opts.KeychainAsking(keeper)
		}
		if follow := a.following.Load(); follow != nil {
			(*follow)(keeper)
		}
	}
}

// Open makes the account's session Manager and metadata client. On the
// built-in sandbox at a fixed address, the sandbox is used (or started,
// see [Options.Sandbox]) when the session first needs the provider; at
// port 0 it starts at once. Close the Account when done.
func Open(ctx context.Context, cfg Config, opts Options) (*Account, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	stopSandbox := func() {}
	if cfg.Sandbox {
		addr := cfg.SandboxAddr
		if addr == "" {
			addr = sandboxclient.DefaultAddr
		}
		issuer := sandboxIssuer(addr)
		if _, port, _ := net.SplitHostPort(addr); port == "0" {
			srv, err := opts.Sandbox.Start(ctx, sandboxclient.Options{Addr: addr, StateFile: opts.SandboxStateFile, Logger: log})
			if err != nil {
				return nil, &sandboxclient.StartError{Addr: addr, Err: err}
			}
			issuer, stopSandbox = srv.Issuer(), func() { srv.Close() }
			log.Debug("started the sandbox", "issuer", issuer)
		} else {
			client := &http.Client{Timeout: httpTimeout}
			if opts.HTTPClient != nil {
				*client = *opts.HTTPClient
			}
			onDemand := sandboxclient.NewOnDemand(opts.Sandbox, addr, opts.SandboxStateFile, log, client.Transport)
			client.Transport = onDemand
			opts.HTTPClient, stopSandbox = client, onDemand.Close
		}
		cfg.Issuer, cfg.ClientID = issuer, sandboxclient.ClientID
		cfg.MetadataAPI = issuer + "/api/v2/"
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: httpTimeout}
	}
	if len(cfg.Scopes) == 0 && cfg.MetadataAPI != "" {
		// The user's own token must be allowed to use the metadata API.
		cfg.Scopes = Auth0Scopes
	}
	account := &Account{Log: log}
	store := opts.Store
	switch {
	case opts.InMemory:
		store = nil // the session's memory
	case store == nil:
		ks := keychain.New(KeychainService)
		ks.Asking = account.keychainAsking(opts)
		store = ks
	}
	m, err := session.New(session.Config{
		Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, AuthParams: cfg.AuthParams, Audience: cfg.Audience, Scopes: cfg.Scopes,
		APIs: cfg.APIs, ResourceParameter: cfg.ResourceParameter, DPoP: cfg.DPoP,
		Store: store, StoreKey: cfg.storeKey(), EndSessionEndpoint: cfg.EndSessionEndpoint, RedirectURL: cfg.RedirectURL, LockDir: opts.LockDir, Logger: log, ManualRenewal: opts.ManualRenewal,
		HTTPClient: opts.HTTPClient,
	})
	if err != nil {
		stopSandbox()
		return nil, &ConfigError{Msg: err.Error()}
	}
	account.Config, account.Manager = cfg, m
	account.Metadata = &profile.MetadataClient{BaseURL: cfg.MetadataAPI, HTTP: m.Client(ctx)}
	account.close = sync.OnceFunc(func() { m.Close(); stopSandbox() })
	return account, nil
}

// Close stops the session's background work and the sandbox this process
// started, if any. Credentials stay stored. Closing twice does nothing
// more.
func (a *Account) Close() { a.close() }

// CheckProvider makes sure the provider's discovery works. When it does
// not, the error is an [*IssuerError] naming the setting the issuer came
// from.
func (a *Account) CheckProvider(ctx context.Context) error {
	if _, err := a.Manager.Provider(ctx); err != nil {
		return &IssuerError{Issuer: a.Config.Issuer, Origin: a.Config.Origin("issuer"), Err: err}
	}
	return nil
}

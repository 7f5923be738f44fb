// Package sandboxserver is Latch's built-in identity provider: a real OpenID
// Connect provider on loopback, built on github.com/zitadel/oidc's op
// package, with demo accounts, so that Latch works on a machine with no
// account anywhere.
//
// It offers discovery, JWKS, authorization code with PKCE (S256 required),
// device authorization, refresh tokens with rotation and reuse detection,
// revocation, userinfo, end-session, and the Auth0 Management API for the
// signed-in user's own record (GET and PATCH /api/v2/users/{id}). Its
// state (metadata, signing key, grants, refresh-token hashes) is kept in a
// file, written atomically.
//
//	srv, err := sandboxserver.New(sandboxserver.Config{StateFile: path})
//	if err != nil { ... }
//	if err := srv.Start(ctx); err != nil { ... }
//	defer srv.Close()
//	fmt.Println(srv.Issuer(), sandboxserver.ClientID, srv.MetadataAPI())
package sandboxserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/latchapp/latch/base/dpopcheck"
	"github.com/latchapp/latch/internal/app/sandboxclient"
)

// DefaultAddr is where the sandbox listens unless told otherwise: a fixed
// loopback address, so that its issuer, and the sessions it issued, stay
// the same across runs.
const DefaultAddr = sandboxclient.DefaultAddr

// DefaultAccessTokenTTL is the access tokens' lifetime: short, so that
// renewal is visible.
const DefaultAccessTokenTTL = sandboxclient.DefaultAccessTokenTTL

// ErrAddrTaken means something other than a Latch sandbox listens on the
// address.
var ErrAddrTaken = sandboxclient.ErrAddrTaken

// Running reports whether the person's Latch sandbox answers at addr,
// and its issuer: one that proves it knows the secret of the state at
// stateFile (empty: the default state file). Anything else at the
// address, a sandbox of another state or another user's included, is
// not it.
func Running(ctx context.Context, addr, stateFile string) (string, bool) {
	return sandboxclient.Running(ctx, addr, stateFile)
}

// Config configures a sandbox.
type Config struct {
	// Issuer, when set, is the issuer the sandbox presents, for when it is
	// reached through a proxy that keeps the Host header; empty means
	// http://Addr. Requests must then name the issuer's host.
	Issuer string
	// Addr is the loopback host:port to listen on; empty means DefaultAddr.
	// Port 0 picks a free port (for tests).
	Addr string
	// StateFile keeps the sandbox's state; empty means sandbox.json in the
	// "latch" folder of the user's config directory.
	StateFile string
	// AccessTokenTTL is the access tokens' lifetime; 0 means
	// DefaultAccessTokenTTL.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the refresh tokens' lifetime; 0 means 30 days.
	RefreshTokenTTL time.Duration
	// ReuseInterval is how long a rotated refresh token may still be
	// spent again, as Auth0's "Reuse Interval", Okta's grace period and
	// Keycloak's "Refresh Token Max Reuse" allow: a client whose answer
	// to a renewal was lost (the provider rotated the token, the answer
	// never arrived) renews with the old token instead of ending the
	// session. 0, the default, detects any reuse and revokes the grant.
	ReuseInterval time.Duration
	// Logger receives the server's diagnostics; nil discards them.
	Logger *slog.Logger
}

// DefaultStateFile is where the sandbox keeps its state by default.
func DefaultStateFile() (string, error) { return sandboxclient.DefaultStateFile() }

// Server is a running sandbox provider.
type Server struct {
	cfg      Config
	storage  *storage
	browsers browserSessions // see browserSessions
	provider *op.Provider
	listener net.Listener
	http     *http.Server
	issuer   string
	host     string // the issuer's host, the only one answered
	done     chan struct{}
	once     sync.Once
	// replays holds the DPoP proofs accepted lately: each is good once.
	replays dpopcheck.Replays
}

// New reads (or creates) the state and prepares the server; Start listens.
// A corrupt state file is an error wrapping ErrCorruptState.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if err := checkLoopback(cfg.Addr); err != nil {
		return nil, err
	}
	if cfg.StateFile == "" {
		path, err := DefaultStateFile()
		if err != nil {
			return nil, err
		}
		cfg.StateFile = path
	}
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if cfg.RefreshTokenTTL <= 0 {
		cfg.RefreshTokenTTL = 30 * 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := loadState(cfg.StateFile)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, storage: &storage{
		st: st, path: cfg.StateFile, now: time.Now,
		accessTTL: cfg.AccessTokenTTL, refreshTTL: cfg.RefreshTokenTTL, reuseInterval: cfg.ReuseInterval,
		authRequests: map[string]*authRequest{}, codes: map[string]string{},
		devices: map[string]*deviceEntry{}, userCodes: map[string]string{},
	}, done: make(chan struct{})}, nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sandbox: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("sandbox: address %q is not on loopback; the sandbox listens on this computer only", addr)
	}
	return nil
}

// Start listens on the configured address and serves until Close or ctx
// ends. When the address is taken by a Latch sandbox it returns an error
// wrapping os.ErrExist (use Running to find it first); when something else
// has it, ErrAddrTaken.
func (s *Server) Start(ctx context.Context) error {
	if err := s.storage.saveNew(); err != nil {
		return err // what Running reads, before anyone asks
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			if issuer, ok := Running(ctx, s.cfg.Addr, s.cfg.StateFile); ok {
				return fmt.Errorf("sandbox: a Latch sandbox already runs at %s: %w", issuer, os.ErrExist)
			}
			return fmt.Errorf("%w: %s is in use by a program that is not Latch's sandbox; choose another address", ErrAddrTaken, s.cfg.Addr)
		}
		return fmt.Errorf("sandbox: listening on %s: %w", s.cfg.Addr, err)
	}
	s.listener = ln
	s.issuer = "http://" + ln.Addr().String()
	if s.cfg.Issuer != "" {
		s.issuer = strings.TrimSuffix(s.cfg.Issuer, "/")
	}
	s.storage.issuer = s.issuer
	if u, err := url.Parse(s.issuer); err == nil {
		s.host = u.Host
	}
	s.storage.loginURL = func(id string) string { return "/login?id=" + id }

	var key [32]byte
	copy(key[:], s.storage.st.CryptoKey)
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:                key,
		DefaultLogoutRedirectURI: "/signed-out",
		CodeMethodS256:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.English},
		SupportedScopes: []string{"openid", "profile", "email", "offline_access",
			ScopeReadCurrentUser, ScopeUpdateCurrentUserMD},
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime:     10 * time.Minute,
			PollInterval: 5 * time.Second,
			UserFormPath: "/device",
			UserCode:     op.UserCodeBase20,
		},
	}, s.storage, op.StaticIssuer(s.issuer), op.WithAllowInsecure(), op.WithLogger(s.cfg.Logger),
		// Browsers may read the provider's answers from the sandbox's own
		// pages only.
		op.WithCORSOptions(&cors.Options{AllowedOrigins: []string{s.issuer}, AllowedMethods: []string{http.MethodGet, http.MethodPost}}))
	if err != nil {
		ln.Close()
		return fmt.Errorf("sandbox: %w", err)
	}
	s.provider = provider

	mux := http.NewServeMux()
	mux.HandleFunc("/login", s.onLogin)
	mux.HandleFunc("/login/cancel", s.onLoginCancel)
	mux.HandleFunc("/device", s.onDevice)
	mux.HandleFunc("/device/deny", s.onDeviceDeny)
	mux.HandleFunc("/signed-out", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "message", pageData{Title: "Signed out", Message: "You are signed out of the Latch sandbox."})
	})
	mux.HandleFunc("GET /avatars/{file}", s.onAvatar)
	mux.HandleFunc("/api/v2/users/{id}", s.onUser)
	mux.HandleFunc("GET "+sandboxclient.IdentityPath, s.onIdentity)
	mux.HandleFunc("GET "+endSessionPath, s.onEndSession)
	mux.HandleFunc("POST "+endSessionPath, s.confirmedEndSession(provider))
	mux.Handle("/", s.extend(provider))
	s.http = &http.Server{Handler: s.guard(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln)
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
	}()
	return nil
}

// Issuer is the sandbox's issuer URL, once started.
func (s *Server) Issuer() string { return s.issuer }

// MetadataAPI is the base URL of its Management API, once started.
func (s *Server) MetadataAPI() string { return s.issuer + "/api/v2/" }

// Close stops the server.
func (s *Server) Close() error {
	s.once.Do(func() {
		if s.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.http.Shutdown(ctx)
		}
	})
	return nil
}

func (s *Server) onIdentity(w http.ResponseWriter, r *http.Request) {
	id := sandboxclient.Identity{Sandbox: "1", Issuer: s.issuer, ClientID: ClientID, MetadataAPI: s.MetadataAPI()}
	if c := r.URL.Query().Get("challenge"); c != "" && len(c) <= 100 {
		id.Proof = sandboxclient.Proof(sandboxclient.ProofKey(s.storage.cryptoKey()), c)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(id)
}

func (s *Server) onAvatar(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	if _, known := Accounts[name]; !ok || !known {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(avatarPNG(name))
}

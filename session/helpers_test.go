package session

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxclient"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/sandboxprogram"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// tokenCall is one request to a token endpoint, as the transport saw it.
type tokenCall struct {
	At           time.Time
	GrantType    string
	RefreshToken string
	CodeVerifier string
	Status       int
}

// recorder is an http.RoundTripper that records the token requests.
type recorder struct {
	mu    sync.Mutex
	calls []tokenCall
	urls  []string
}

// count is the number of requests sent through r.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.urls)
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var form url.Values
	if req.Method == http.MethodPost && req.Body != nil {
		body, _ := io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ = url.ParseQuery(string(body))
	}
	r.mu.Lock()
	r.urls = append(r.urls, req.URL.Path)
	r.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if form.Get("grant_type") != "" {
		call := tokenCall{
			At:           time.Now(),
			GrantType:    form.Get("grant_type"),
			RefreshToken: form.Get("refresh_token"),
			CodeVerifier: form.Get("code_verifier"),
		}
		if resp != nil {
			call.Status = resp.StatusCode
		}
		r.mu.Lock()
		r.calls = append(r.calls, call)
		r.mu.Unlock()
	}
	return resp, err
}

func (r *recorder) grants(grantType string) []tokenCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []tokenCall
	for _, c := range r.calls {
		if c.GrantType == grantType {
			out = append(out, c)
		}
	}
	return out
}

// offsetClock is the system clock moved by an offset the test sets.
type offsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *offsetClock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// peer is a real OpenID provider the tests run against, with an account.
type peer struct {
	name, issuer, clientID  string
	user, password, subject string
	deviceDone              string // what its device page says on success
}

// forEachPeer runs f as a subtest against each real provider: panva's
// oidc-provider and Latch's own sandbox, both with access tokens that live
// for ttl.
func forEachPeer(t *testing.T, ttl time.Duration, f func(t *testing.T, e *env)) {
	t.Run("oidc-provider", func(t *testing.T) {
		t.Parallel()
		op := oidcprovider.Start(t, oidcprovider.Options{AccessTokenTTL: ttl})
		f(t, newEnvOn(t, peer{name: "oidc-provider", issuer: op.Issuer, clientID: oidcprovider.ClientID,
			user: "alice", password: oidcprovider.Accounts["alice"], subject: "alice", deviceDone: "Sign-in Success"}))
	})
	t.Run("sandbox", func(t *testing.T) {
		t.Parallel()
		srv := sandboxprogram.Start(t, ttl)
		f(t, newEnvOn(t, peer{name: "sandbox", issuer: srv.Issuer(), clientID: sandboxclient.ClientID,
			user: sandboxprogram.DemoUser, password: sandboxprogram.DemoPassword, subject: "sandbox|demo", deviceDone: "Your device is signed in"}))
	})
}

// env is one provider, one store and the recorder, for one test.
type env struct {
	t       *testing.T
	peer    peer
	store   Store
	rec     *recorder
	clock   *offsetClock
	lockDir string
}

// newEnv is an env on oidc-provider alone, for what only it can show.
func newEnv(t *testing.T, ttl time.Duration) *env {
	t.Helper()
	op := oidcprovider.Start(t, oidcprovider.Options{AccessTokenTTL: ttl})
	return newEnvOn(t, peer{name: "oidc-provider", issuer: op.Issuer, clientID: oidcprovider.ClientID,
		user: "alice", password: oidcprovider.Accounts["alice"], subject: "alice"})
}

func newEnvOn(t *testing.T, p peer) *env {
	t.Helper()
	return &env{
		t:       t,
		peer:    p,
		store:   &memStore{},
		rec:     &recorder{},
		clock:   &offsetClock{},
		lockDir: t.TempDir(),
	}
}

// manager returns a Manager on the env's provider and store; adjust
// changes the config first.
func (e *env) manager(adjust ...func(*Config)) *Manager {
	e.t.Helper()
	cfg := Config{
		Issuer:     e.peer.issuer,
		ClientID:   e.peer.clientID,
		Store:      e.store,
		HTTPClient: &http.Client{Transport: e.rec, Timeout: 30 * time.Second},
		Now:        e.clock.Now,
		LockDir:    e.lockDir,
	}
	for _, f := range adjust {
		f(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { m.Close() })
	return m
}

func manual(c *Config) { c.ManualRenewal = true }

// login signs in through the browser as the peer's account.
func (e *env) login(m *Manager) *Credentials {
	e.t.Helper()
	b := testbrowser.NewBrowser(e.peer.user, e.peer.password)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	creds, err := m.LoginWithBrowser(ctx, BrowserLogin{OpenURL: b.OpenURL})
	if err != nil {
		e.t.Fatalf("sign-in as %s failed: %v", e.peer.user, err)
	}
	if code, body := b.Result(e.t); code != http.StatusOK {
		e.t.Fatalf("the browser ended on %d: %s; want 200", code, body)
	}
	return creds
}

// refreshDirectly spends refreshToken at the provider's token endpoint,
// outside the Manager, and returns the OAuth error code ("" on success).
func (e *env) refreshDirectly(refreshToken string) string {
	e.t.Helper()
	p, err := discover(context.Background(), http.DefaultClient, e.peer.issuer)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.PostForm(p.TokenEndpoint, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
		"client_id":     {e.peer.clientID},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return ""
	}
	perr := readProviderError("test", resp).(*ProviderError)
	return perr.Code
}

func bg(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// hasValid reports whether m holds credentials whose access token is
// valid for at least minTTL, without the network.
func hasValid(ctx context.Context, m *Manager, minTTL time.Duration) bool {
	c, err := m.Held(ctx)
	return err == nil && c.ValidFor(m.now(), minTTL)
}

// canRenew reports whether m holds credentials that can be renewed,
// without the network.
func canRenew(ctx context.Context, m *Manager) bool {
	c, err := m.Held(ctx)
	return err == nil && c.CanRenew(m.now())
}

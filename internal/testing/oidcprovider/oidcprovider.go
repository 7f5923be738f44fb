// Package oidcprovider runs, for tests, the real OpenID provider written by
// others that Latch is tested against: panva's npm oidc-provider (OpenID
// Certified), pinned under testdata/oidc and started with Node on a free
// loopback port.
package oidcprovider

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/peers"
	"github.com/latchapp/latch/internal/testing/syncbuf"
)

// ClientID is the native public client the provider knows.
const ClientID = "latch-test"

// Accounts the provider knows, by username, with their passwords.
// mallory's name holds bidirectional and zero-width characters, as a name
// that deceives its reader would.
var Accounts = map[string]string{"alice": "wonderland", "bob": "builder", "mallory": "mischief"}

// The APIs the provider issues JWT access tokens for, by resource
// indicator (RFC 8707), and their scopes.
const (
	OrdersAPI   = "https://orders.example.test/"
	BillingAPI  = "https://billing.example.test/"
	OrdersRead  = "orders:read"
	OrdersWrite = "orders:write"
	BillingRead = "billing:read"
)

// Options configure a provider.
type Options struct {
	// AccessTokenTTL is the access tokens' lifetime; 0 means 60 s.
	AccessTokenTTL time.Duration
	// IDTokenTTL is the ID tokens' lifetime; 0 means an hour.
	IDTokenTTL time.Duration
	// RedirectURIs are more redirect addresses registered for the client,
	// besides http://127.0.0.1/callback (any port).
	RedirectURIs []string
	// Issuer, when set, is the provider's issuer: the URL of a proxy in
	// front of it that keeps the Host header (see faultproxy).
	Issuer string
	// MountPath, when set, serves the provider under that path, as the
	// providers that presets know do: /realms/NAME (Keycloak),
	// /oauth2/default (Okta), /TENANT/v2.0 (Microsoft Entra ID). The
	// issuer ends with it.
	MountPath string
	// ClientSecret, when set, makes the client confidential, with that
	// secret sent in the form (client_secret_post), as Google's
	// installed-app clients are.
	ClientSecret string
	// NoRotation keeps a refresh token when it is spent (Google's way);
	// NoRevocation has no revocation endpoint (Microsoft Entra ID's).
	NoRotation, NoRevocation bool
	// TrailingSlash ends the issuer with a slash, as Auth0's does.
	TrailingSlash bool
}

// Provider is a running oidc-provider.
type Provider struct {
	Issuer string
	// Listening is where it listens: the issuer, unless Options.Issuer
	// named a proxy.
	Listening string
}

// repoRoot finds the module root from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// starting lets two providers start at a time: a test package's parallel
// tests start a dozen at once, and Node loading oidc-provider takes a
// second or two of CPU each, which on two cores, beside the race
// detector's tests, kept the last to come up past any sane deadline.
var starting = make(chan struct{}, 2)

// startTimeout is how long one provider is given to come up once it may
// start, and startAttempts how many are started before the test fails:
// on a loaded two-core machine a Node process was once seen to stop
// between loading oidc-provider and building it for over a minute, and a
// fresh one comes up in a second.
const (
	startTimeout  = 45 * time.Second
	startAttempts = 2
)

// Start runs the provider on a free loopback port until the test ends.
// When Node or the npm package is missing, the test is skipped, or fails
// under scripts/test (see package peers).
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	dir := filepath.Join(repoRoot(), "testdata", "oidc")
	if _, err := exec.LookPath("node"); err != nil {
		peers.Missing(t, "Node.js", "no node on PATH")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider")); err != nil {
		peers.Missing(t, "the npm package oidc-provider", "run `npm ci` in testdata/oidc")
	}
	var failures []string
	for range startAttempts {
		p, err := startOnce(t, dir, opts)
		if err == nil {
			return p
		}
		failures = append(failures, err.Error())
	}
	t.Fatalf("oidc-provider did not start: %s", strings.Join(failures, "; then "))
	return nil
}

// startOnce starts one provider process and waits up to startTimeout for
// it to listen; one that does not is stopped.
func startOnce(t testing.TB, dir string, opts Options) (*Provider, error) {
	ttl := opts.AccessTokenTTL
	if ttl <= 0 {
		ttl = time.Minute
	}
	starting <- struct{}{}
	defer func() { <-starting }()
	cmd := exec.Command("node", "server.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORT=0", "ACCESS_TOKEN_TTL="+strconv.Itoa(int(ttl.Seconds())), "ID_TOKEN_TTL="+strconv.Itoa(int(opts.IDTokenTTL.Seconds())), "CLIENT_ID="+ClientID, "REDIRECT_URIS="+strings.Join(opts.RedirectURIs, " "), "NODE_NO_WARNINGS=1", "ISSUER="+opts.Issuer,
		"MOUNT_PATH="+opts.MountPath, "CLIENT_SECRET="+opts.ClientSecret, "ROTATE_REFRESH="+onOff(!opts.NoRotation), "REVOCATION="+onOff(!opts.NoRevocation), "ISSUER_TRAILING_SLASH="+onOff(opts.TrailingSlash))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	stop := func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	ready := make(chan *Provider, 1)
	go func() {
		p := &Provider{}
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if s, ok := strings.CutPrefix(sc.Text(), "issuer: "); ok {
				p.Issuer = s
			}
			if s, ok := strings.CutPrefix(sc.Text(), "listening: "); ok {
				p.Listening = s
				ready <- p
			}
		}
		close(ready)
	}()
	select {
	case p, ok := <-ready:
		if !ok {
			stop()
			return nil, fmt.Errorf("it exited: %s", stderr.String())
		}
		t.Cleanup(func() {
			stop()
			if t.Failed() && stderr.Len() > 0 {
				t.Logf("oidc-provider stderr:\n%s", stderr.String())
			}
		})
		return p, nil
	case <-time.After(startTimeout):
		_ = cmd.Process.Kill()
		stop()
		return nil, fmt.Errorf("not listening within %s: %s", startTimeout, strings.TrimSpace(stderr.String()))
	}
}

// onOff is how the provider's settings say a switch: 1 or 0.
func onOff(on bool) string {
	if on {
		return "1"
	}
	return "0"
}

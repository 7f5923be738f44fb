// Package dexprovider runs, for tests, Dex: an OpenID provider written in
// Go by others, which does not follow RFC 6749 everywhere (it refuses a
// dead refresh token with invalid_request) and has no revocation
// endpoint. It is built once from the module proxy's copy of its source:
// its v2 tags are not module versions and `go install` refuses the module
// for a replace directive in its go.mod, so the build copies the source,
// drops that line and takes github.com/dexidp/dex/api/v2 from the proxy.
package dexprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/peers"
)

// Version is the Dex built: v2.45.1, as the module proxy serves it.
const Version = "v0.0.0-20260303133905-11d2eeb52b42"

// ClientID is the public client Dex knows; it accepts any loopback
// redirect.
const ClientID = "latch-test"

// Account is the one person Dex knows: sign in with Email and Password.
var Account = struct{ Email, Password, Subject string }{"alice@example.test", "password", "CgVhbGljZRIFbG9jYWw"}

// passwordHash is bcrypt("password"), as in Dex's own example
// configuration.
const passwordHash = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W"

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// build builds dex once per test binary, into the user's cache directory
// so that later runs reuse it.
func build(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		binary = filepath.Join(cache, "latch-test", "dex-"+Version)
		if _, err := os.Stat(binary); err == nil {
			return
		}
		buildErr = buildFromSource(binary)
	})
	if buildErr != nil {
		peers.Missing(t, "Dex", buildErr.Error())
	}
	return binary
}

func buildFromSource(out string) error {
	dl, err := exec.Command("go", "mod", "download", "-json", "github.com/dexidp/dex@"+Version).Output()
	if err != nil {
		return fmt.Errorf("downloading its source: %w", err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(dl, &mod); err != nil || mod.Dir == "" {
		return fmt.Errorf("downloading its source: %s", dl)
	}
	src, err := os.MkdirTemp("", "latch-dex-src")
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	if out, err := exec.Command("cp", "-r", mod.Dir+"/.", src).CombinedOutput(); err != nil {
		return fmt.Errorf("copying its source: %v %s", err, out)
	}
	if out, err := exec.Command("chmod", "-R", "u+w", src).CombinedOutput(); err != nil {
		return fmt.Errorf("copying its source: %v %s", err, out)
	}
	gomod := filepath.Join(src, "go.mod")
	b, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	var kept []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "replace github.com/dexidp/dex/api/v2") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(gomod, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return err
	}
	// Test binaries of several packages may build at once: each builds to
	// a file of its own, and the rename puts one whole binary in place.
	tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid())
	cmd := exec.Command("go", "build", "-mod=mod", "-o", tmp, "./cmd/dex")
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building it: %v %s", err, b)
	}
	return os.Rename(tmp, out)
}

// Options configure a Dex.
type Options struct {
	// RefreshLifetime is the refresh tokens' absolute lifetime; 0 means
	// an hour.
	RefreshLifetime time.Duration
}

// Provider is a running Dex.
type Provider struct {
	Issuer string
}

// Start builds Dex if needed and runs it on a free loopback port, with
// in-memory storage, until the test ends.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	bin := build(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	lifetime := opts.RefreshLifetime
	if lifetime <= 0 {
		lifetime = time.Hour
	}
	issuer := "http://" + addr + "/dex"
	config := fmt.Sprintf(`issuer: %s
storage:
  type: memory
web:
  http: %s
oauth2:
  skipApprovalScreen: true
expiry:
  idTokens: 1h
  refreshTokens:
    absoluteLifetime: %s
enablePasswordDB: true
staticPasswords:
  - email: %q
    hash: %q
    username: alice
    name: Alice Liddell
    emailVerified: true
    userID: alice
staticClients:
  - id: %s
    name: Latch (tests)
    public: true
`, issuer, addr, lifetime, Account.Email, passwordHash, ClientID)
	file := filepath.Join(t.TempDir(), "dex.yaml")
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", file)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("dex said:\n%s", logs.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &Provider{Issuer: issuer}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("dex did not start within 30 s, want it serving discovery")
	return nil
}

//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/keyringtest"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
)

// providerBehindProxy starts oidc-provider, with access tokens that live
// for ttl, behind a proxy that records every refresh token it issues, and
// returns an environment for the binary that uses it.
func providerBehindProxy(t *testing.T, ttl time.Duration) (*faultproxy.Proxy, []string) {
	t.Helper()
	proxy := faultproxy.Start(t, func(issuer string) string {
		return oidcprovider.Start(t, oidcprovider.Options{AccessTokenTTL: ttl, Issuer: issuer}).Listening
	})
	env := append(home(t), "LATCH_ISSUER="+proxy.URL, "LATCH_CLIENT_ID="+oidcprovider.ClientID)
	return proxy, env
}

// run runs the binary once, from any goroutine, and returns its exit code
// and stderr.
func run(bin string, env []string, args ...string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stderr.String()
	}
	if err != nil {
		return -1, err.Error()
	}
	return 0, stderr.String()
}

// runInLoops runs the binary with args in each of processes loops, one
// call after the other, for d, and returns how many calls there were,
// how many failed, and the stderr of the first that failed.
func runInLoops(bin string, env []string, processes int, d time.Duration, args ...string) (calls, failures int, firstFailure string) {
	var mu sync.Mutex
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range processes {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				code, stderr := run(bin, env, args...)
				mu.Lock()
				calls++
				if code != 0 {
					failures++
					if firstFailure == "" {
						firstFailure = stderr
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return calls, failures, firstFailure
}

// refreshRefused reports whether the provider refuses refreshToken.
func refreshRefused(t *testing.T, issuer, refreshToken string) bool {
	t.Helper()
	resp, err := http.PostForm(issuer+"/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {oidcprovider.ClientID},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode == http.StatusBadRequest && body.Error == "invalid_grant"
}

// TestFourProcessesShareOneSession runs four processes that each call
// `latch token` in a loop for 30 seconds, on one session in the real
// keychain, against oidc-provider with 2-second access tokens, rotation
// and reuse detection (a refresh token used twice revokes the grant).
func TestFourProcessesShareOneSession(t *testing.T) {
	bin := latchBinary(t)
	proxy, env := providerBehindProxy(t, 2*time.Second)
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"])

	fourProcessesForThirtySeconds(t, bin, env, proxy)
	run(bin, env, "logout")
}

// fourProcessesForThirtySeconds runs latch token in four loops for 30
// seconds with env, on a session at the provider behind proxy whose
// tokens live 2 seconds: no call may fail, the session must be renewed
// throughout, and its last refresh token must renew still (with the
// agent off: stored in the keychain).
func fourProcessesForThirtySeconds(t *testing.T, bin string, env []string, proxy *faultproxy.Proxy) {
	t.Helper()
	calls, failures, firstFailure := runInLoops(bin, env, 4, 30*time.Second, "token")
	issued := proxy.Issued()
	t.Logf("4 processes, 30 s: %d calls, %d failed, %d refresh tokens issued", calls, failures, len(issued))
	if failures != 0 {
		t.Fatalf("%d of %d calls failed, want none; the first said: %s", failures, calls, firstFailure)
	}
	if len(issued) < 10 {
		t.Fatalf("%d refresh tokens issued in 30 s of 2-second tokens, want the session renewed throughout", len(issued))
	}
	// No reuse was detected: the grant lives, and the last refresh token
	// renews (--min-ttl longer than the lifetime forces a renewal).
	if code, stderr := run(bin, append(slices.Clone(env), "LATCH_AGENT=off"), "token", "--min-ttl", "1h"); code != 0 {
		t.Fatalf("a renewal with the final refresh token failed: %s; want it valid", stderr)
	}
}

// TestLogoutWhileOthersRenew signs out with `latch logout` while three
// processes renew as fast as they can: afterwards no process holds a
// token, nothing is left in the keychain, and the provider refuses every
// refresh token issued during the run.
func TestLogoutWhileOthersRenew(t *testing.T) {
	bin := latchBinary(t)
	proxy, env := providerBehindProxy(t, 2*time.Second)
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"])

	var signedOut atomic.Int64 // when latch logout returned, in Unix nanoseconds
	var lateTokens atomic.Int32
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				started := time.Now().UnixNano()
				code, _ := run(bin, env, "token", "--min-ttl", "1h") // renews every time
				if code == 0 && signedOut.Load() != 0 && started > signedOut.Load() {
					lateTokens.Add(1)
				}
			}
		})
	}
	time.Sleep(3 * time.Second)
	code, stderr := run(bin, env, "logout")
	signedOut.Store(time.Now().UnixNano())
	if code != 0 || !strings.Contains(stderr, "Signed out.") {
		t.Fatalf("latch logout exit %d: %s; want 0 and signed out", code, stderr)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	if n := lateTokens.Load(); n != 0 {
		t.Fatalf("%d calls started after the sign-out got a token, want none", n)
	}
	if code, stderr := run(bin, env, "token"); code != 1 || !strings.Contains(stderr, "not signed in") {
		t.Fatalf("latch token after the sign-out: exit %d, %s; want 1 and not signed in", code, stderr)
	}
	if keys := keyringtest.Keys(t, latchapp.KeychainService); len(keys) != 0 {
		t.Fatalf("keychain items of Latch after the sign-out: %q; want none", keys)
	}
	issued := proxy.Issued()
	for i, tok := range issued {
		if !refreshRefused(t, proxy.URL, tok) {
			t.Fatalf("refresh token %d of %d issued during the run still works after the sign-out, want every one refused", i+1, len(issued))
		}
	}
	t.Logf("3 processes renewing, then latch logout: %d refresh tokens issued, all refused afterwards", len(issued))
}

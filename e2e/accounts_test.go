//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/testing/keyringtest"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// accountsHome is a Latch home whose config file holds three accounts:
// the sandbox (started by `latch sandbox`) as the default, and two at one
// oidc-provider with one client, "work" and "work2", whose access tokens
// live for ttl.
func accountsHome(t *testing.T, ttl time.Duration) (env []string, op *oidcprovider.Provider) {
	t.Helper()
	env = home(t)
	issuer, _ := startSandbox(t, env, "127.0.0.1:0")
	op = oidcprovider.Start(t, oidcprovider.Options{AccessTokenTTL: ttl})
	config := filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "latch", "config.toml")
	text := fmt.Sprintf("sandbox = true\nsandbox_addr = %q\n\n[accounts.work]\nissuer = %q\nclient_id = %q\n\n[accounts.work2]\nissuer = %q\nclient_id = %q\n",
		strings.TrimPrefix(issuer, "http://"), op.Issuer, oidcprovider.ClientID, op.Issuer, oidcprovider.ClientID)
	if err := os.MkdirAll(filepath.Dir(config), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return env, op
}

// subjectOf is who `latch status --json ARGS` says is signed in.
func subjectOf(t *testing.T, env []string, args ...string) string {
	t.Helper()
	_, out, _ := latch(t, env, append([]string{"status", "--json"}, args...)...)
	var rep struct {
		Subject string `json:"subject"`
	}
	_ = json.Unmarshal([]byte(out), &rep)
	return rep.Subject
}

// TestAccountsAreSeparateInTheKeychain signs in to three accounts (two
// providers; two accounts at one provider with one client) with the
// built binary and the real keychain: each gives its own person's token,
// four processes renewing two of them for 30 s fail no call, and signing
// out of one leaves the other's keychain entries and session whole.
func TestAccountsAreSeparateInTheKeychain(t *testing.T) {
	bin := latchBinary(t)
	env, _ := accountsHome(t, 2*time.Second)
	loginNoBrowser(t, env, "demo", "demo")
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"], "--account", "work")
	loginNoBrowser(t, append(env, "LATCH_ACCOUNT=work2"), "bob", oidcprovider.Accounts["bob"])
	for account, want := range map[string]string{"default": "sandbox|demo", "work": "alice", "work2": "bob"} {
		if got := subjectOf(t, env, "--account", account); got != want {
			t.Fatalf("the account %s holds %q, want %q", account, got, want)
		}
	}
	_, work, _ := latch(t, env, "token", "--account", "work")
	_, work2, _ := latch(t, env, "token", "--account", "work2")
	if work == "" || work == work2 {
		t.Fatalf("the tokens of work and work2 are %q and %q; want two", work, work2)
	}

	// Four processes renew both accounts at one provider (2-second
	// tokens, rotation, reuse detection) for 30 s.
	var calls, failures atomic.Int32
	var first atomic.Value
	deadline := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			account := []string{"work", "work2"}[i%2]
			for n := 0; time.Now().Before(deadline); n++ {
				if n%2 == 1 {
					account = map[string]string{"work": "work2", "work2": "work"}[account]
				}
				code, stderr := run(bin, env, "token", "--account", account)
				calls.Add(1)
				if code != 0 {
					failures.Add(1)
					first.CompareAndSwap(nil, account+": "+stderr)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("4 processes, 2 accounts, 30 s: %d calls, %d failed", calls.Load(), failures.Load())
	if failures.Load() != 0 {
		t.Fatalf("%d of %d calls failed, want none; the first: %v", failures.Load(), calls.Load(), first.Load())
	}
	if subjectOf(t, env, "--account", "work") != "alice" || subjectOf(t, env, "--account", "work2") != "bob" {
		t.Fatal("after the renewals the accounts hold other people")
	}

	// Signing out of work leaves work2's entries in the keychain, and its
	// session, whole.
	before := keyringtest.Keys(t, latchapp.KeychainService)
	if code, _, errOut := latch(t, env, "logout", "--account", "work"); code != 0 {
		t.Fatalf("logout --account work: exit %d: %s", code, errOut)
	}
	after := keyringtest.Keys(t, latchapp.KeychainService)
	for _, k := range after {
		if !slices.Contains(before, k) {
			t.Fatalf("signing out of work added %q to the keychain", k)
		}
	}
	if len(after) >= len(before) {
		t.Fatalf("the keychain held %v before signing out of work and %v after; want work's entries gone", before, after)
	}
	if got := subjectOf(t, env, "--account", "work2"); got != "bob" {
		t.Fatalf("work2 after signing out of work: %q, want bob", got)
	}
	if code, out, _ := latch(t, env, "token", "--account", "work2", "--min-ttl", "1h"); code != 0 || out == "" {
		t.Fatal("work2 cannot renew after work signed out")
	}
	if got := subjectOf(t, env); got != "sandbox|demo" {
		t.Fatalf("the default account after signing out of work: %q, want demo", got)
	}
	// latch switch: the command line follows at once.
	if code, _, errOut := latch(t, env, "switch", "work2"); code != 0 {
		t.Fatalf("switch: %s", errOut)
	}
	if got := subjectOf(t, env); got != "bob" {
		t.Fatalf("after latch switch work2 status says %q, want bob", got)
	}
	if _, out, _ := latch(t, env, "accounts"); !strings.Contains(out, "* work2") || !strings.Contains(out, "Bob Builder") {
		t.Fatalf("latch accounts:\n%s\nwant work2 active, Bob signed in", out)
	}
}

// earlierRelease is the last commit of Latch before accounts: the
// session it stores is the default account's.
const earlierRelease = "7be8c1f"

// TestSessionOfTheEarlierReleaseIsTheDefaultAccount signs in with the
// command line of the release before accounts (built from the
// repository's history), then runs this one on the same keychain: the
// person is still signed in, as the default account.
func TestSessionOfTheEarlierReleaseIsTheDefaultAccount(t *testing.T) {
	latchBinary(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	archive := exec.Command("sh", "-c", "git -C \"$1\" archive \"$2\" | tar -x -C \"$3\"", "sh", root, earlierRelease, src)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("the earlier release %s is not in the repository's history (%v): %s", earlierRelease, err, out)
	}
	old := filepath.Join(t.TempDir(), "latch-earlier")
	build := exec.Command("go", "build", "-o", old, "./cmd/latch")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the earlier release: %v: %s", err, out)
	}

	op := oidcprovider.Start(t, oidcprovider.Options{})
	env := append(home(t), "LATCH_ISSUER="+op.Issuer, "LATCH_CLIENT_ID="+oidcprovider.ClientID)
	p := startBinary(t, old, env, "login", "--no-browser")
	t.Cleanup(func() { latch(t, env, "logout") })
	testbrowser.SignInAtPrintedURL(t, p.stdout, "alice", oidcprovider.Accounts["alice"])
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("the earlier release's login: %v: %s", err, p.stderr.String())
	}
	stored := keyringtest.Keys(t, latchapp.KeychainService)

	_, out, errOut := latch(t, env, "status", "--json")
	var rep struct {
		Account, Subject, State string
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Account != "default" || rep.Subject != "alice" || rep.State != "signed in" {
		t.Fatalf("this release's status on the earlier release's session: %s %s; want alice signed in to the default account", out, errOut)
	}
	if code, tok, errOut := latch(t, env, "token", "--min-ttl", "1h"); code != 0 || tok == "" {
		t.Fatalf("this release cannot renew the earlier release's session: %s", errOut)
	}
	if got := keyringtest.Keys(t, latchapp.KeychainService); !slices.Equal(got, stored) {
		t.Fatalf("the keychain held %v and now %v; want the same entries, read as they are", stored, got)
	}
}

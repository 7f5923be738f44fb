package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

func TestLogoutWithoutNetworkIsFinishedLater(t *testing.T) {
	proxy := faultproxy.Start(t, func(issuer string) string {
		return oidcprovider.Start(t, oidcprovider.Options{Issuer: issuer}).Listening
	})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": proxy.URL, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	proxy.Down()
	code, _, errOut := w.run("logout")
	if want := "Signed out on this computer. The provider could not be told yet; it will be the next time it can be reached.\n"; code != 0 || errOut != want {
		t.Fatalf("logout without the provider: exit %d, %q; want 0 and %q", code, errOut, want)
	}
	code, out, _ := w.run("status")
	if code != 1 || !strings.Contains(out, "Pending revocation: the provider has not been told of 1 signed-out token(s) yet") {
		t.Fatalf("status exit %d: %s; want 1 and the pending revocation", code, out)
	}
	// The provider is back: the next command that can tell it does,
	// latch status included, and says when.
	proxy.Up()
	issued := proxy.Issued()
	code, out, _ = w.run("status")
	if code != 1 || strings.Contains(out, "Pending revocation") || !strings.Contains(out, "Last sign-out told to the provider: ") {
		t.Fatalf("status once the provider is back: exit %d: %s; want the revocation sent, and when", code, out)
	}
	if last := issued[len(issued)-1]; oidcprovider.RefreshError(t, proxy.URL, last) != "invalid_grant" {
		t.Fatal("the signed-out refresh token still works at the provider; want it revoked (invalid_grant)")
	}
	if code, _, errOut := w.run("logout"); code != 0 || errOut != "Not signed in; nothing to do.\n" {
		t.Fatalf("logout after that: exit %d, %q; want 0 and nothing to do", code, errOut)
	}
	if _, out, _ := w.run("status", "--json"); !strings.Contains(out, `"pending_revocations": 0`) || !strings.Contains(out, `"last_revocation"`) {
		t.Fatalf("status --json: %s; want no pending revocation and the time of the last", out)
	}
}

// Signing out at the provider lets another person sign in: without it,
// the provider's browser session signs the same person in again.
func TestLogoutAtTheProvider(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	b := testbrowser.NewBrowser("alice", oidcprovider.Accounts["alice"])
	w.open = b.OpenURL
	login := func(args ...string) {
		t.Helper()
		if code, _, errOut := w.run(append([]string{"login"}, args...)...); code != 0 {
			t.Fatalf("login %v: exit %d: %s", args, code, errOut)
		}
		b.Result(t)
	}
	login()
	if code, _, _ := w.run("logout"); code != 0 {
		t.Fatal("logout failed")
	}
	login()
	if b.SignInForms() != 1 {
		t.Fatalf("after latch logout the provider showed its form again (%d forms); want it to sign the same person in", b.SignInForms())
	}
	// Already signed in: --prompt login signs in again, through the form.
	code, _, errOut := w.run("login", "--prompt", "login")
	b.Result(t)
	if code != 0 || !strings.Contains(errOut, "signing in again as asked") || b.SignInForms() != 2 {
		t.Fatalf("login --prompt login: exit %d, %q, %d forms; want a sign-in through the form", code, errOut, b.SignInForms())
	}
	code, _, errOut = w.run("logout", "--provider")
	if code != 0 || !strings.Contains(errOut, "Signed out, here and at the provider.") {
		t.Fatalf("logout --provider: exit %d, %q", code, errOut)
	}
	if _, body := b.Result(t); !strings.Contains(body, "You are signed out at the provider too") {
		t.Fatalf("the browser ended on %s; want Latch's page saying so", body)
	}
	login()
	if b.SignInForms() != 3 {
		t.Fatalf("after logout --provider the next sign-in filled in %d forms in all, want 3 (the form again)", b.SignInForms())
	}
	if code, _, errOut := w.run("login", "--device", "--prompt", "login"); code != 2 || !strings.Contains(errOut, "not --device") {
		t.Fatalf("login --device --prompt: exit %d, %q; want 2", code, errOut)
	}
}

// A provider whose sign-out page never sends the browser back (it shows
// an error, as oidc-provider does for a return address it does not
// know): Latch says at once that the sign-out here is made and that it
// waits, for how long and how to stop, then that the provider was not
// reached; the session here stays ended.
func TestLogoutAtAProviderThatNeverSendsTheBrowserBack(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	w.open = func(context.Context, string) error { return nil } // a browser left on the provider's error page
	code, _, errOut := w.run("--timeout", "2s", "logout", "--provider")
	if code != 1 || !strings.Contains(errOut, "You are signed out on this computer. Waiting up to 2s for the provider's page") ||
		!strings.Contains(errOut, "press Ctrl+C") || !strings.Contains(errOut, "Signed out on this computer, but not at the provider") {
		t.Fatalf("logout --provider with no answer from the page: exit %d, %q", code, errOut)
	}
	if code, out, _ := w.run("status"); code == 0 && !strings.Contains(out, "not signed in") && !strings.Contains(out, "Not signed in") {
		t.Fatalf("after it, latch status says %q; want nobody signed in", out)
	}
}

// logout --all signs out of every account, a line each; --local signs
// out here without telling the provider, whose refresh token then still
// works; the flags that cannot go together are refused.
func TestLogoutAllAndLocal(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, nil)
	w.config = filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(w.config, []byte(fmt.Sprintf("issuer = %q\nclient_id = %q\n\n[accounts.work]\nissuer = %q\nclient_id = %q\n", op.Issuer, oidcprovider.ClientID, op.Issuer, oidcprovider.ClientID)), 0o600); err != nil {
		t.Fatal(err)
	}
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	w.loginNoBrowser("bob", oidcprovider.Accounts["bob"], "--account", "work")
	code, _, errOut := w.run("logout", "--all")
	if code != 0 || errOut != "default: Signed out.\nwork: Signed out.\n" {
		t.Fatalf("logout --all: exit %d, %q; want each account signed out, a line each", code, errOut)
	}
	for _, account := range []string{"default", "work"} {
		if rep := w.statusOf("--account", account); rep["state"] != "signed out" {
			t.Errorf("%s after logout --all: %v", account, rep)
		}
	}

	// --local: the provider is not told.
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	var refresh string
	sessiontest.Rewrite(t, w.store, func(c map[string]any) { refresh, _ = c["refresh_token"].(string) })
	code, _, errOut = w.run("logout", "--local")
	if code != 0 || !strings.Contains(errOut, "the provider was not told") {
		t.Fatalf("logout --local: exit %d, %q", code, errOut)
	}
	if rep := w.statusOf(); rep["state"] != "signed out" {
		t.Errorf("after logout --local: %v", rep)
	}
	if got := oidcprovider.RefreshError(t, op.Issuer, refresh); got != "" {
		t.Errorf("after logout --local the refresh token answered %q at the provider; want it still valid there", got)
	}
	for _, bad := range [][]string{{"logout", "--local", "--provider"}, {"logout", "--all", "--provider"}} {
		if code, _, errOut := w.run(bad...); code != 2 {
			t.Errorf("%v: exit %d, %q; want 2", bad, code, errOut)
		}
	}
}

// Signing out at the sandbox (its end-session) ends the browser's session
// alone, as Auth0's does: another account signed in as the same person
// with the same client keeps its session, and renews.
func TestProviderSignOutLeavesTheOtherAccount(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, nil)
	w.config = filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(w.config, []byte(fmt.Sprintf("issuer = %q\nclient_id = %q\n\n[accounts.work]\nissuer = %q\nclient_id = %q\n", srv.Issuer(), sandboxserver.ClientID, srv.Issuer(), sandboxserver.ClientID)), 0o600); err != nil {
		t.Fatal(err)
	}
	b := testbrowser.NewBrowser("demo", "demo")
	w.open = b.OpenURL
	for _, account := range []string{"default", "work"} {
		if code, _, errOut := w.run("login", "--account", account); code != 0 {
			t.Fatalf("login --account %s: %s", account, errOut)
		}
		b.Result(t)
	}
	if code, _, errOut := w.run("logout", "--provider", "--account", "work"); code != 0 || !strings.Contains(errOut, "Signed out, here and at the provider.") {
		t.Fatalf("logout --provider --account work: exit %d, %q", code, errOut)
	}
	b.Result(t)
	if code, _, errOut := w.run("token", "--min-ttl", "1h"); code != 0 { // renews
		t.Fatalf("the default account's renewal after work signed out at the provider: exit %d, %q; want it to go on", code, errOut)
	}
}

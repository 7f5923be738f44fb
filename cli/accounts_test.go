package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/sessiontest"
)

// statusOf is `latch status --json` with args.
func (w *world) statusOf(args ...string) map[string]any {
	w.t.Helper()
	_, out, errOut := w.run(append([]string{"status", "--json"}, args...)...)
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		w.t.Fatalf("status %v: %v: %s %s", args, err, out, errOut)
	}
	return rep
}

// Three accounts, at two providers, two of them at one provider with one
// client: each is its own session, chosen by --account, LATCH_ACCOUNT or
// latch switch, and signing out of one leaves the others whole.
func TestAccountsAreSeparateSessions(t *testing.T) {
	srv := sandboxtest.Start(t, "", 0)
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, nil)
	w.config = filepath.Join(t.TempDir(), "config.toml")
	text := `# the sandbox, as the default account
issuer = "` + srv.Issuer() + `"
client_id = "` + sandboxserver.ClientID + `"

# two accounts at one provider, with one client
[accounts.work]
issuer = "` + op.Issuer + `"
client_id = "` + oidcprovider.ClientID + `"

[accounts.work2]
issuer = "` + op.Issuer + `"   # the same as work
client_id = "` + oidcprovider.ClientID + `"
`
	if err := os.WriteFile(w.config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	w.loginNoBrowser("demo", "demo")
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"], "--account", "work")
	w.env = map[string]string{"LATCH_ACCOUNT": "work2"}
	w.loginNoBrowser("bob", oidcprovider.Accounts["bob"])
	w.env = nil

	for account, want := range map[string]string{"default": "sandbox|demo", "work": "alice", "work2": "bob"} {
		rep := w.statusOf("--account", account)
		if rep["subject"] != want || rep["account"] != account {
			t.Fatalf("status --account %s: %v; want %s signed in", account, rep, want)
		}
	}
	_, tokWork, _ := w.run("token", "--account", "work")
	_, tokWork2, _ := w.run("token", "--account", "work2")
	if tokWork == "" || tokWork == tokWork2 {
		t.Fatalf("the two accounts at one provider gave the tokens %q and %q; want two", tokWork, tokWork2)
	}

	// latch accounts lists them, the active one marked.
	code, out, errOut := w.run("accounts", "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 3 {
		t.Fatalf("accounts --json: exit %d, %v: %s %s; want three accounts", code, err, out, errOut)
	}
	if list[0]["name"] != "default" || list[0]["active"] != true || list[1]["person"] != "Alice Liddell" || list[2]["state"] != "signed in" {
		t.Fatalf("accounts --json: %v; want default active, Alice in work, work2 signed in", list)
	}
	// latch switch makes another account the one commands use.
	if code, _, errOut := w.run("switch", "work2"); code != 0 || !strings.Contains(errOut, "The active account is now work2.") {
		t.Fatalf("switch work2: exit %d, %q", code, errOut)
	}
	if rep := w.statusOf(); rep["subject"] != "bob" {
		t.Fatalf("status after switch work2: %v; want bob", rep)
	}
	if _, out, _ := w.run("accounts"); !strings.Contains(out, "* work2") || !strings.Contains(out, "Bob Builder") {
		t.Fatalf("accounts after switch:\n%s\nwant work2 marked active, Bob signed in", out)
	}
	if code, _, errOut := w.run("switch", "nobody"); code != 2 || !strings.Contains(errOut, `There is no account "nobody"`) {
		t.Fatalf("switch to an unknown account: exit %d, %q; want 2 saying so", code, errOut)
	}

	// Signing out of work leaves work2 (same provider and client) whole.
	if code, _, errOut := w.run("logout", "--account", "work"); code != 0 || errOut != "Signed out.\n" {
		t.Fatalf("logout --account work: exit %d, %q", code, errOut)
	}
	if rep := w.statusOf("--account", "work"); rep["state"] != "signed out" {
		t.Fatalf("work after its logout: %v", rep)
	}
	if rep := w.statusOf("--account", "work2"); rep["subject"] != "bob" || rep["access_token_valid"] != true {
		t.Fatalf("work2 after work's logout: %v; want bob still signed in", rep)
	}
	if code, out, _ := w.run("token", "--account", "work2"); code != 0 || out != tokWork2 {
		t.Fatalf("work2's token after work's logout: exit %d; want the same token as before", code)
	}

	// status --all says every account's state.
	if _, out, _ := w.run("status", "--all"); !strings.Contains(out, "Account: default\n") || !strings.Contains(out, "Account: work2 (active)\nState: signed in") ||
		!strings.Contains(out, "Account: work\nState: signed out") {
		t.Fatalf("status --all:\n%s", out)
	}

	// remove signs out first, and takes only its table out of the file.
	if code, _, errOut := w.run("accounts", "remove", "work2"); code != 0 || !strings.Contains(errOut, "Signed out of the account work2 and removed it.") {
		t.Fatalf("accounts remove work2: exit %d, %q", code, errOut)
	}
	after, _ := os.ReadFile(w.config)
	if strings.Contains(string(after), "work2") || !strings.Contains(string(after), "# two accounts at one provider") || !strings.Contains(string(after), "[accounts.work]") {
		t.Fatalf("the config file after remove:\n%s\nwant work2's table gone, the rest (comments too) as it was", after)
	}
	if rep := w.statusOf(); rep["account"] != "default" {
		t.Fatalf("after the active account was removed, status is of %v; want the default account", rep["account"])
	}
	if code, _, errOut := w.run("accounts", "remove", "default"); code != 2 || !strings.Contains(errOut, "top-level settings") {
		t.Fatalf("remove default: exit %d, %q; want 2 saying why not", code, errOut)
	}

	// add checks the provider first, and saves nothing when it fails.
	before, _ := os.ReadFile(w.config)
	code, _, errOut = w.run("accounts", "add", "staging", "--issuer", srv.Issuer()+"/nothing-here", "--client-id", "x")
	if code == 0 || !strings.Contains(errOut, "cannot be used") {
		t.Fatalf("add with a wrong issuer: exit %d, %q; want a failure saying the provider cannot be used", code, errOut)
	}
	if now, _ := os.ReadFile(w.config); string(now) != string(before) {
		t.Fatalf("a failed add changed the config file:\n%s", now)
	}
	code, _, errOut = w.run("accounts", "add", "staging", "--issuer", op.Issuer, "--client-id", oidcprovider.ClientID)
	if code != 0 || !strings.Contains(errOut, "Added the account staging") {
		t.Fatalf("add staging: exit %d, %q", code, errOut)
	}
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"], "--account", "staging")
	if rep := w.statusOf("--account", "staging"); rep["subject"] != "alice" {
		t.Fatalf("staging after add and login: %v", rep)
	}
	if code, _, errOut := w.run("accounts", "add", "staging", "--issuer", op.Issuer, "--client-id", "c"); code != 2 || !strings.Contains(errOut, "already") {
		t.Fatalf("adding staging twice: exit %d, %q", code, errOut)
	}
}

// latch accounts says each session's state as latch status does: held
// with an expired access token (renewed when used) is signed in, and a
// session the provider ended is ended, with why.
func TestAccountsAndStatusAgree(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, map[string]string{"LATCH_ISSUER": srv.Issuer(), "LATCH_CLIENT_ID": sandboxserver.ClientID})
	w.loginNoBrowser("demo", "demo")
	accountState := func() (string, string) {
		t.Helper()
		_, out, _ := w.run("accounts", "--json")
		var list []map[string]any
		if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
			t.Fatalf("accounts --json: %s (%v)", out, err)
		}
		state, _ := list[0]["state"].(string)
		reason, _ := list[0]["reason"].(string)
		return state, reason
	}
	sessiontest.Rewrite(t, w.store, func(c map[string]any) { c["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339) })
	if state, _ := accountState(); state != "signed in" {
		t.Errorf("accounts with an expired access token and a refresh token: %q; want signed in, as status says", state)
	}
	if rep := w.statusOf(); rep["state"] != "signed in" {
		t.Errorf("status then: %v", rep)
	}
	// The provider refuses the refresh token: the session ends, and why.
	sessiontest.Rewrite(t, w.store, func(c map[string]any) {
		c["refresh_token"] = "not-one-the-provider-issued"
		c["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339)
	})
	if code, _, _ := w.run("token"); code == 0 {
		t.Fatal("a token from a refused refresh token; want the session ended")
	}
	state, reason := accountState()
	if rep := w.statusOf(); state != "ended" || reason == "" || rep["state"] != "ended" || rep["reason"] != reason {
		t.Errorf("accounts says %q (%q), status %v; want both ended, with the same reason", state, reason, rep)
	}
	if _, out, _ := w.run("accounts"); !strings.Contains(out, "ended: "+reason) {
		t.Errorf("accounts says:\n%s\nwant ended and why", out)
	}
}

// A command on an account nobody is signed in to names it, and the
// command that signs in to it, whether --account or LATCH_ACCOUNT chose
// it.
func TestNotSignedInNamesTheAccount(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, nil)
	w.config = filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(w.config, []byte(fmt.Sprintf("issuer = %q\nclient_id = %q\n\n[accounts.dp]\nissuer = %q\nclient_id = %q\n", srv.Issuer(), sandboxserver.ClientID, srv.Issuer(), sandboxserver.ClientID)), 0o600); err != nil {
		t.Fatal(err)
	}
	want := "You are not signed in to the account dp. Run latch login --account dp."
	if code, _, errOut := w.run("--account", "dp", "token"); code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("latch --account dp token: exit %d, %q; want %q", code, errOut, want)
	}
	w.env = map[string]string{"LATCH_ACCOUNT": "dp", "KUBERNETES_EXEC_INFO": `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`}
	if code, _, errOut := w.run("token", "--output", "exec-credential"); code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("LATCH_ACCOUNT=dp latch token (kubectl's plugin): exit %d, %q; want %q", code, errOut, want)
	}
	w.env = nil
	if code, _, errOut := w.run("token"); code != 1 || !strings.HasSuffix(errOut, "You are not signed in. Run latch login.\n") {
		t.Errorf("latch token on the default account: exit %d, %q", code, errOut)
	}
}

// An API declared in an account's table since its sign-in is said with
// that table and that account's sign-in, not the top level's.
func TestAnAPINotAskedForNamesTheAccountsTable(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, nil)
	w.config = filepath.Join(t.TempDir(), "config.toml")
	text := fmt.Sprintf("issuer = %q\nclient_id = %q\n\n[accounts.work]\nissuer = %q\nclient_id = %q\n", srv.Issuer(), sandboxserver.ClientID, srv.Issuer(), sandboxserver.ClientID)
	if err := os.WriteFile(w.config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	w.loginNoBrowser("demo", "demo", "--account", "work")
	text += "\n[accounts.work.apis.stock]\naudience = \"https://stock.example.test/\"\nscopes = [\"stock:read\"]\n"
	if err := os.WriteFile(w.config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := w.run("--account", "work", "token", "--name", "stock")
	if code != 1 || !strings.Contains(errOut, "did not ask for the API stock") || !strings.Contains(errOut, "[accounts.work.apis.stock]") || !strings.Contains(errOut, "latch login --account work.") {
		t.Fatalf("a named token the sign-in did not ask for: exit %d, %q; want the account's table and sign-in named", code, errOut)
	}
}

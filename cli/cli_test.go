package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchapp/latch/cli"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxhost"
	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/dexprovider"
	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/internal/testing/testbrowser"
	"github.com/latchapp/latch/session"
	"github.com/latchapp/latch/session/keychain"
)

// world is one Latch installation: its store, lock folder and settings.
type world struct {
	t     *testing.T
	store *sessiontest.Store
	lock  string
	env   map[string]string
	open  func(context.Context, string) error
	// stateFile is where a sandbox that the commands start keeps its
	// state.
	stateFile string
	// config is the config file; empty means none.
	config string
}

func newWorld(t *testing.T, env map[string]string) *world {
	return &world{t: t, store: &sessiontest.Store{}, lock: t.TempDir(), env: env, stateFile: sandboxState(t)}
}

// sandboxStates are the sandbox state files of the tests, by test: the
// sandbox a test starts and its commands share one, as a person's do.
var sandboxStates sync.Map

// sandboxState is the test's sandbox state file.
func sandboxState(t *testing.T) string {
	file, _ := sandboxStates.LoadOrStore(t, filepath.Join(t.TempDir(), "sandbox.json"))
	return file.(string)
}

func (w *world) cliEnv(stdout, stderr io.Writer) cli.Env {
	config := w.config
	if config == "" {
		config = "-"
	}
	return cli.Env{Stdout: stdout, Stderr: stderr, Store: w.store, LockDir: w.lock, ConfigFile: config,
		OpenURL: w.open, Getenv: func(k string) string { return w.env[k] }, SandboxStateFile: w.stateFile,
		Sandbox: sandboxhost.InProcess}
}

func (w *world) run(args ...string) (int, string, string) {
	w.t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := cli.Run(ctx, args, w.cliEnv(&out, &errb))
	return code, out.String(), errb.String()
}

// loginNoBrowser runs `latch login --no-browser` and completes the sign-in
// with an HTTP client, as a person at a browser would.
func (w *world) loginNoBrowser(user, password string, extra ...string) {
	w.t.Helper()
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := cli.Run(context.Background(), append([]string{"login", "--no-browser"}, extra...), w.cliEnv(pw, &errb))
		pw.Close()
		done <- code
	}()
	testbrowser.SignInAtPrintedURL(w.t, pr, user, password)
	if code := <-done; code != 0 {
		w.t.Fatalf("login exited %d, want 0: %s", code, errb.String())
	}
}

func TestSignInPrintsWhoAndReusesSession(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, nil)
	b := testbrowser.NewBrowser("alice", oidcprovider.Accounts["alice"])
	w.open = b.OpenURL
	code, out, errOut := w.run("--issuer", op.Issuer, "--client-id", oidcprovider.ClientID, "--no-window")
	if code != 0 || !strings.Contains(out, "Signed in as Alice Liddell <alice@example.test> (subject alice)") {
		t.Fatalf("exit %d: %s %s; want 0 and who signed in", code, out, errOut)
	}
	// The next launch finds the session: no browser, straight to the app.
	w.open = func(context.Context, string) error {
		t.Error("the browser was opened although a session is stored")
		return nil
	}
	w.env = map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidcprovider.ClientID}
	var shown *latchapp.Account
	var out2, err2 bytes.Buffer
	env := w.cliEnv(&out2, &err2)
	env.Window = func(_ context.Context, s *latchapp.Account, _ *latchapp.Accounts) error {
		shown = s
		return nil
	}
	if code := cli.Run(context.Background(), []string{"--no-window"}, env); code != 0 || shown != nil || !strings.Contains(out2.String(), "Signed in as Alice") {
		t.Fatalf("exit %d, window %v: %s; want 0, no window, Alice signed in", code, shown, err2.String())
	}
	// Without --no-window the app opens at once, connected to the same
	// session.
	if code := cli.Run(context.Background(), nil, env); code != 0 || shown == nil || !validSession(shown.Manager) {
		t.Fatalf("exit %d, window %v: %s; want 0 and the window on a valid session", code, shown, err2.String())
	}
}

func TestGenericProviderHasNoMetadataAPI(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("bob", "builder")
	code, _, errOut := w.run("metadata", "get")
	if code != 1 || !strings.Contains(errOut, "offers no metadata API") {
		t.Fatalf("exit %d: %q; want 1 saying the provider offers no metadata API", code, errOut)
	}
	code, out, _ := w.run("status")
	if code != 0 || !strings.Contains(out, "Bob Builder") || !strings.Contains(out, "Refresh token: held") {
		t.Fatalf("status exit %d: %s; want 0 with Bob Builder and a refresh token held", code, out)
	}
}

func TestBadUsageChangesNothing(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, map[string]string{"LATCH_SANDBOX_ADDR": strings.TrimPrefix(srv.Issuer(), "http://")})
	w.loginNoBrowser("demo", "demo")
	if code, _, errOut := w.run("metadata", "set", "keep=1"); code != 0 {
		t.Fatal(errOut)
	}
	before := w.store.Keys()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--frobnicate"}, 2, "flag provided but not defined: -frobnicate"},
		{[]string{"dance"}, 2, `unknown command "dance"`},
		{[]string{"token", "--min-ttl", "soon"}, 2, "invalid value"},
		{[]string{"metadata", "set", "novalue"}, 2, `"novalue" is not KEY=VALUE`},
		{[]string{"metadata", "set", "ok=1", "a.b=2"}, 2, `The metadata key "a.b" is not allowed: names must not contain '.' or '$'.`},
		{[]string{"metadata", "set", "$x=2"}, 2, `The metadata key "$x" is not allowed`},
		{[]string{"metadata", "set", `prefs={"ui":{"a.b":1}}`}, 2, `The metadata key "a.b" is not allowed`},
		{[]string{"metadata", "unset", "=x"}, 2, "unset takes key names"},
		{[]string{"metadata", "frob"}, 2, "unknown metadata command"},
		{[]string{"status", "extra"}, 2, "unexpected argument"},
		{[]string{"token", "--name", "nothing"}, 2, "no API is declared under the name nothing"},
		{[]string{"header", "nothing", "GET", "https://api.example.test/"}, 2, "no API is declared under the name nothing"},
	} {
		code, _, errOut := w.run(c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line with %q", c.args, code, errOut, c.code, c.want)
		}
	}
	_, out, _ := w.run("metadata", "get")
	if out != "keep=1\n" {
		t.Fatalf("metadata after rejected commands: %q, want keep=1 only", out)
	}
	if after := w.store.Keys(); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("store changed from %v to %v, want it untouched", before, after)
	}
	code, out, _ := w.run("--help")
	if code != 0 || !strings.Contains(out, "latch metadata set KEY=VALUE") {
		t.Fatalf("--help: exit %d: %s; want 0 and the usage", code, out)
	}
	for _, cmd := range []string{"login", "status", "token", "logout", "metadata", "sandbox"} {
		if code, out, _ := w.run(cmd, "--help"); code != 0 || !strings.HasPrefix(out, "latch "+cmd) {
			t.Errorf("%s --help: exit %d: %q; want 0 and its usage", cmd, code, out)
		}
	}
}

func TestSignedOutAndUnreachable(t *testing.T) {
	w := newWorld(t, map[string]string{"LATCH_ISSUER": "http://127.0.0.1:1", "LATCH_CLIENT_ID": "c"})
	for _, args := range [][]string{{"token"}, {"status"}} {
		code, _, errOut := w.run(args...)
		if code != 1 || !strings.Contains(errOut, "not signed in") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line saying not signed in", args, code, errOut)
		}
	}
	code, _, errOut := w.run("login", "--no-browser")
	if want := "latch login: The provider at http://127.0.0.1:1 (from LATCH_ISSUER) cannot be reached. Check the address and your connection.\n"; code != 1 || errOut != want {
		t.Fatalf("login to an unreachable issuer: exit %d, stderr %q; want 1 and %q", code, errOut, want)
	}
}

// startSandbox runs the test's sandbox, as another process would.
func startSandbox(t *testing.T) *sandboxserver.Server {
	return sandboxtest.Start(t, sandboxState(t), 0)
}

func TestCommandsAgainstTheSandbox(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, map[string]string{"LATCH_SANDBOX_ADDR": strings.TrimPrefix(srv.Issuer(), "http://")})
	w.loginNoBrowser("demo", "demo")

	code, out, _ := w.run("status", "--json")
	var st map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st["state"] != "signed in" || st["subject"] != "sandbox|demo" || st["refresh_token"] != true {
		t.Fatalf("status --json exit %d: %s; want 0, signed in as sandbox|demo with a refresh token", code, out)
	}
	code, token, _ := w.run("token")
	if code != 0 || strings.TrimSpace(token) == "" {
		t.Fatalf("token exit %d, want 0 and a token", code)
	}
	code, renewed, _ := w.run("token", "--min-ttl", "10m") // longer than the lifetime: renews
	if code != 0 || renewed == token {
		t.Fatalf("token --min-ttl 10m exit %d, want 0 and a renewed token", code)
	}
	if code, _, errOut := w.run("metadata", "set", "theme=dark", "count=3", `prefs={"a":true}`, "flag=true", "quoted=\"7\""); code != 0 {
		t.Fatal(errOut)
	}
	code, out, _ = w.run("metadata", "get", "--json")
	var md map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &md) != nil {
		t.Fatalf("metadata get exit %d: %s; want 0 and JSON", code, out)
	}
	if md["theme"] != "dark" || md["count"] != float64(3) || md["flag"] != true || md["quoted"] != "7" || md["prefs"].(map[string]any)["a"] != true {
		t.Fatalf("metadata %v, want what was set, typed", md)
	}
	if code, _, errOut := w.run("metadata", "unset", "theme", "count"); code != 0 {
		t.Fatal(errOut)
	}
	_, out, _ = w.run("metadata", "get")
	if out != "flag=true\nprefs={\"a\":true}\nquoted=\"7\"\n" {
		t.Fatalf("after unset: %q, want flag, prefs and quoted only", out)
	}
	// null removes a key, as in Auth0's PATCH; "null" in quotes is text.
	if code, _, errOut := w.run("metadata", "set", "flag=null", "prefs=null", `quoted="null"`); code != 0 {
		t.Fatal(errOut)
	}
	if _, out, _ = w.run("metadata", "get"); out != "quoted=\"null\"\n" {
		t.Fatalf("after setting null: %q; want flag and prefs gone, quoted the text null", out)
	}
	if code, _, errOut := w.run("metadata", "unset", "quoted"); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := w.run("metadata", "get")
	if code != 0 || out != "" || !strings.Contains(errOut, "Your user_metadata is empty.") {
		t.Fatalf("get on empty metadata: exit %d, %q, %q; want 0, nothing on stdout, and a line saying so", code, out, errOut)
	}
	if code, _, errOut := w.run("logout"); code != 0 {
		t.Fatal(errOut)
	}
	if keys := w.store.Keys(); len(keys) != 0 {
		t.Fatalf("store after logout holds %v, want nothing", keys)
	}
	if code, _, _ := w.run("token"); code != 1 {
		t.Fatal("a token after logout")
	}
}

func TestDeviceLoginPrintsCodes(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, map[string]string{"LATCH_SANDBOX_ADDR": strings.TrimPrefix(srv.Issuer(), "http://")})
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(context.Background(), []string{"login", "--device"}, w.cliEnv(pw, &errb))
		pw.Close()
	}()
	lines := map[string]string{}
	sc := bufio.NewScanner(pr)
	for len(lines) < 3 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ": ")
		lines[k] = v
	}
	go io.Copy(io.Discard, pr)
	complete := lines["verification_uri_complete"]
	if lines["user_code"] == "" || lines["verification_uri"] == "" || !strings.Contains(complete, url.QueryEscape(lines["user_code"])) && !strings.Contains(complete, lines["user_code"]) {
		t.Fatalf("printed %v, want user_code, verification_uri and a complete URI with the code", lines)
	}
	if code, body, err := testbrowser.NewBrowser("ada", "lovelace").Visit(complete); err != nil || code != 200 || !strings.Contains(body, "signed in") {
		t.Fatalf("device page ended on %d, %v; want 200 saying signed in", code, err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("login --device exit %d: %s; want 0", code, errb.String())
	}
	_, out, _ := w.run("status")
	if !strings.Contains(out, "Ada Lovelace") {
		t.Fatalf("status: %s; want Ada Lovelace signed in", out)
	}
}

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
	if last := issued[len(issued)-1]; !refreshRefused(t, proxy.URL, last) {
		t.Fatal("the signed-out refresh token still works at the provider; want it revoked")
	}
	if code, _, errOut := w.run("logout"); code != 0 || errOut != "Not signed in; nothing to do.\n" {
		t.Fatalf("logout after that: exit %d, %q; want 0 and nothing to do", code, errOut)
	}
	if _, out, _ := w.run("status", "--json"); !strings.Contains(out, `"pending_revocations": 0`) || !strings.Contains(out, `"last_revocation"`) {
		t.Fatalf("status --json: %s; want no pending revocation and the time of the last", out)
	}
}

// refreshRefused reports whether the provider at issuer refuses
// refreshToken.
func refreshRefused(t *testing.T, issuer, refreshToken string) bool {
	t.Helper()
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.PostForm(doc.TokenEndpoint, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {oidcprovider.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusBadRequest
}

// TestLoginWhenAlreadySignedIn: `latch login` with a session held opens
// no browser and says who is signed in, with a valid access token and
// with an expired one while the provider cannot be reached (the refresh
// token still holds the session). A session the provider refuses to renew
// is signed in again.
func TestLoginWhenAlreadySignedIn(t *testing.T) {
	proxy := faultproxy.Start(t, func(issuer string) string {
		return oidcprovider.Start(t, oidcprovider.Options{Issuer: issuer}).Listening
	})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": proxy.URL, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	w.open = func(context.Context, string) error {
		t.Error("the browser was opened although alice is signed in")
		return nil
	}
	want := "Already signed in to the account default as Alice Liddell <alice@example.test> (subject alice). To sign in as someone else run latch login --prompt login, or see latch accounts.\n"
	if code, _, errOut := w.run("login"); code != 0 || errOut != want {
		t.Fatalf("login with a valid session: exit %d, %q; want 0 and %q", code, errOut, want)
	}
	sessiontest.Rewrite(t, w.store, func(c map[string]any) { c["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339) })
	proxy.Down()
	if code, _, errOut := w.run("login"); code != 0 || errOut != want {
		t.Fatalf("login with an expired token and the provider unreachable: exit %d, %q; want 0 and %q", code, errOut, want)
	}
	proxy.Up()
	sessiontest.Rewrite(t, w.store, func(c map[string]any) { c["refresh_token"] = "refused" })
	w.open = nil
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	for _, key := range w.store.Keys() {
		if raw, _ := w.store.Get(t.Context(), key); bytes.Contains(raw, []byte(`"refused"`)) {
			t.Errorf("the refused refresh token is still stored under %s; want a new sign-in's", key)
		}
	}
}

func TestInMemorySessionLeavesTheStoreAlone(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, map[string]string{"LATCH_SANDBOX_ADDR": strings.TrimPrefix(srv.Issuer(), "http://")})
	w.open = testbrowser.NewBrowser("demo", "demo").OpenURL
	code, out, errOut := w.run("--in-memory", "--no-window")
	if code != 0 || !strings.Contains(out, "Signed in as Dana Demo") {
		t.Fatalf("exit %d: %s %s; want 0 and Dana Demo signed in", code, out, errOut)
	}
	if keys := w.store.Keys(); len(keys) != 0 {
		t.Fatalf("the store holds %v, want nothing: the session was in memory only", keys)
	}
}

// TestDexSessionThatCannotBeRenewed signs in to Dex, lets the refresh
// token die, and signs in again: `latch login` must not claim that the
// person is still signed in. Signing out says Dex cannot revoke.
func TestDexSessionThatCannotBeRenewed(t *testing.T) {
	dex := dexprovider.Start(t, dexprovider.Options{RefreshLifetime: 4 * time.Second})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": dex.Issuer, "LATCH_CLIENT_ID": dexprovider.ClientID})
	w.loginNoBrowser(dexprovider.Account.Email, dexprovider.Account.Password)
	time.Sleep(5 * time.Second)
	if code, _, errOut := w.run("token", "--min-ttl", "1h"); code != 1 || !strings.Contains(errOut, "reached its time limit") {
		t.Fatalf("token with a dead refresh token: exit %d, %q; want 1 saying the session reached its time limit", code, errOut)
	}
	// latch status keeps why, after the credentials are gone.
	for range 2 {
		code, out, _ := w.run("status")
		if code != 1 || !strings.Contains(out, "State: ended") || !strings.Contains(out, "reached its time limit") {
			t.Fatalf("status after Dex ended the session: exit %d: %s; want ended, and why", code, out)
		}
	}
	w.loginNoBrowser(dexprovider.Account.Email, dexprovider.Account.Password) // signs in again
	if _, out, _ := w.run("status"); !strings.Contains(out, "State: signed in") || strings.Contains(out, "time limit") {
		t.Fatalf("status after signing in again: %s; want signed in, the old reason gone", out)
	}
	code, _, errOut := w.run("logout")
	if want := "Signed out on this computer. This provider cannot revoke sessions, so your refresh token stays valid there until it expires.\n"; code != 0 || errOut != want {
		t.Fatalf("logout on Dex: exit %d, %q; want 0 and %q", code, errOut, want)
	}
	// Dex offers no sign-out in the browser: Latch says so.
	w.loginNoBrowser(dexprovider.Account.Email, dexprovider.Account.Password)
	code, _, errOut = w.run("logout", "--provider")
	if code != 0 || !strings.Contains(errOut, "this provider offers no sign-out in the browser") {
		t.Fatalf("logout --provider on Dex: exit %d, %q; want 0 saying the provider offers no way", code, errOut)
	}
}

// TestSandboxEngineLogsStayOffStderr runs a command whose in-process
// sandbox refuses a renewal: its OpenID engine logs the refusal, and the
// command's stderr must still be its one line.
func TestSandboxEngineLogsStayOffStderr(t *testing.T) {
	w := newWorld(t, map[string]string{"LATCH_SANDBOX_ADDR": sandboxtest.FreeAddr(t)})
	w.stateFile = filepath.Join(t.TempDir(), "sandbox.json")
	w.open = testbrowser.NewBrowser("demo", "demo").OpenURL
	if code, _, errOut := w.run("--no-window"); code != 0 {
		t.Fatalf("sign-in exit %d: %s; want 0", code, errOut)
	}
	sessiontest.Rewrite(t, w.store, func(c map[string]any) { c["refresh_token"] = "forged" })
	code, _, errOut := w.run("token", "--min-ttl", "1h")
	if code != 1 || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("a refused renewal: exit %d, stderr %q; want 1 and one line", code, errOut)
	}
}

// TestLoginWithoutABrowserWaits: when no browser opens, `latch login`
// says so in one sentence, shows the address, and completes when the
// address is opened elsewhere.
func TestLoginWithoutABrowserWaits(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, map[string]string{"LATCH_ISSUER": srv.Issuer(), "LATCH_CLIENT_ID": sandboxserver.ClientID})
	w.open = func(context.Context, string) error {
		return fmt.Errorf("opening the browser: %w (tried xdg-open)", session.ErrNoBrowser)
	}
	pr, pw := io.Pipe()
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(context.Background(), []string{"login"}, w.cliEnv(&out, pw))
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var address, said string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, srv.Issuer()) {
			address = line
		}
		if strings.Contains(line, "No browser could be opened") {
			said = line
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if address == "" || strings.Count(said, "browser could") != 1 || !strings.Contains(said, "waiting") {
		t.Fatalf("stderr gave the address %q and %q; want the address and one sentence saying Latch waits", address, said)
	}
	if code, _, err := testbrowser.NewBrowser("demo", "demo").Visit(address); err != nil || code != 200 {
		t.Fatalf("the browser ended on %d, %v; want 200", code, err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("login exited %d; want 0", code)
	}
}

// validSession reports whether m holds a session whose access token is
// valid.
func validSession(m *session.Manager) bool {
	c, err := m.Held(context.Background())
	return err == nil && c.ValidFor(time.Now(), 0)
}

// TestDeceivingNamesAreShownEscaped signs in as a person whose name, at
// the provider, holds a right-to-left override, isolates and a zero-width
// space: latch login and latch status show each as an escape, so that
// the name reads as what it is.
func TestDeceivingNamesAreShownEscaped(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.open = testbrowser.NewBrowser("mallory", oidcprovider.Accounts["mallory"]).OpenURL
	const shown = `Mallory \u2066(admin)\u2069\u202etxt.exe\u200b`
	code, _, errOut := w.run("login")
	if code != 0 || !strings.Contains(errOut, "Signed in as "+shown) {
		t.Fatalf("latch login exit %d: %q; want the name shown as %s", code, errOut, shown)
	}
	code, out, _ := w.run("status")
	if code != 0 || !strings.Contains(out, "Signed in as: "+shown) {
		t.Fatalf("latch status exit %d: %q; want the name shown as %s", code, out, shown)
	}
	for _, r := range "\u2066\u2069\u202e\u200b" {
		if strings.ContainsRune(errOut+out, r) {
			t.Errorf("the output holds %U as it is; want it escaped", r)
		}
	}
}

// TestFlagsBeforeOrAfterTheCommand gives the flags of every command
// before the command and after it, as gh and kubectl take them: the
// same run either way.
func TestFlagsBeforeOrAfterTheCommand(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, nil)
	w.open = testbrowser.NewBrowser("alice", oidcprovider.Accounts["alice"]).OpenURL
	provider := []string{"--issuer", op.Issuer, "--client-id=" + oidcprovider.ClientID}
	if code, _, errOut := w.run(append(provider, "login")...); code != 0 {
		t.Fatalf("latch --issuer … login: exit %d: %s; want 0", code, errOut)
	}
	for _, args := range [][]string{
		append(append([]string{}, provider...), "status", "--json"),
		append(append([]string{"status"}, provider...), "--json"),
		append(append([]string{"--verbose", "--dpop", "false"}, provider...), "status", "--json"),
		append(append([]string{"--in-memory=false", "status"}, provider...), "--json"),
	} {
		code, out, errOut := w.run(args...)
		if code != 0 || !strings.Contains(out, `"subject": "alice"`) {
			t.Errorf("latch %s: exit %d, %s %s; want 0 and alice's status", strings.Join(args, " "), code, out, errOut)
		}
	}
	if code, _, errOut := w.run("--json", "status"); code != 2 || !strings.Contains(errOut, "flag provided but not defined: -json") {
		t.Errorf("latch --json status: exit %d, %q; want 2: a command's own flag goes after it", code, errOut)
	}
}

// deadKeychain is a keychain that is not there, as on a machine without
// a Secret Service.
type deadKeychain struct{ sessiontest.Store }

func (*deadKeychain) Get(context.Context, string) ([]byte, error) { return nil, keychain.ErrMissing }
func (*deadKeychain) Set(context.Context, string, []byte) error   { return keychain.ErrMissing }

// TestNoKeychainRefusesAtOnce runs latch login and latch --no-window
// with no keychain: both say so at once, and neither starts a sign-in
// that could not be kept.
func TestNoKeychainRefusesAtOnce(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, map[string]string{"LATCH_SANDBOX_ADDR": strings.TrimPrefix(srv.Issuer(), "http://")})
	w.open = func(context.Context, string) error {
		t.Error("a browser was opened for a sign-in that could not be kept")
		return nil
	}
	for _, args := range [][]string{{"login"}, {"--no-window"}} {
		var out, errb bytes.Buffer
		env := w.cliEnv(&out, &errb)
		env.Store = &deadKeychain{}
		start := time.Now()
		code := cli.Run(context.Background(), args, env)
		if code != 1 || !strings.Contains(errb.String(), "No system keychain is running") || time.Since(start) > 5*time.Second {
			t.Errorf("latch %s without a keychain: exit %d after %v: %q; want 1 at once, saying no keychain runs", strings.Join(args, " "), code, time.Since(start), errb.String())
		}
	}
}

// TestStatusSaysOfflineWhenItIs: with the access token expired and the
// provider down, latch status says the session is offline, not signed in,
// as latch token fails then.
func TestStatusSaysOfflineWhenItIs(t *testing.T) {
	proxy := faultproxy.Start(t, func(issuer string) string {
		return oidcprovider.Start(t, oidcprovider.Options{Issuer: issuer, AccessTokenTTL: 2 * time.Second}).Listening
	})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": proxy.URL, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	proxy.Down()
	time.Sleep(2500 * time.Millisecond) // past the access token's life
	if code, _, _ := w.run("token"); code != 1 {
		t.Fatalf("latch token with the provider down and the token expired: exit %d; want 1", code)
	}
	code, out, _ := w.run("status")
	if code != 0 || !strings.Contains(out, "State: offline: the access token expired and the provider cannot be reached") {
		t.Fatalf("status: exit %d: %s; want offline, saying why", code, out)
	}
	proxy.Up()
	if code, out, _ := w.run("status"); code != 0 || !strings.Contains(out, "State: signed in") || !strings.Contains(out, "Access token: expires in") {
		t.Fatalf("status with the provider back: exit %d: %s; want signed in, renewed", code, out)
	}
}

// TestTokenGivesUpWithinItsDeadline has the provider answer a renewal
// late: latch token gives up within its --timeout, saying so, and does
// not send the refresh token a second time.
func TestTokenGivesUpWithinItsDeadline(t *testing.T) {
	proxy := faultproxy.Start(t, func(issuer string) string {
		return oidcprovider.Start(t, oidcprovider.Options{Issuer: issuer}).Listening
	})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": proxy.URL, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	before := len(proxy.TokenRequests())
	proxy.SetFault(&faultproxy.Fault{HoldAnswer: 5 * time.Second})
	start := time.Now()
	code, out, errOut := w.run("token", "--min-ttl", "1h", "--timeout", "2s") // renews
	took := time.Since(start)
	if code != 1 || out != "" || !strings.Contains(errOut, "Gave up after 2s: the provider did not answer in time.") {
		t.Fatalf("latch token with a provider that answers late: exit %d, %q, %q; want 1, saying it gave up", code, out, errOut)
	}
	if took > 4*time.Second {
		t.Errorf("latch token took %v; want it to give up at its 2 s deadline", took)
	}
	if n := len(proxy.TokenRequests()) - before; n != 1 {
		t.Errorf("latch token sent %d token requests; want 1: a renewal that may have reached the provider is not sent again", n)
	}
	proxy.SetFault(nil)
	if code, _, errOut := w.run("--timeout", "-1s", "status"); code != 2 || !strings.Contains(errOut, "--timeout must not be negative") {
		t.Errorf("a negative --timeout: exit %d, %q; want 2", code, errOut)
	}
}

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchapp/latch/cli"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxhost"
	"github.com/latchapp/latch/internal/app/sandboxserver"
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
		{[]string{"--frobnicate"}, 2, "flag provided but not defined: --frobnicate"},
		{[]string{"dance"}, 2, `unknown command "dance"`},
		{[]string{"token", "--min-ttl", "soon"}, 2, `invalid value "soon" for flag --min-ttl`},
		{[]string{"metadata", "set", "novalue"}, 2, `"novalue" is not KEY=VALUE`},
		{[]string{"metadata", "set", "ok=1", "a.b=2"}, 2, `The metadata key "a.b" is not allowed: names must not contain '.' or '$'.`},
		{[]string{"metadata", "set", "$x=2"}, 2, `The metadata key "$x" is not allowed`},
		{[]string{"metadata", "set", `prefs={"ui":{"a.b":1}}`}, 2, `The metadata key "a.b" is not allowed`},
		{[]string{"metadata", "unset", "=x"}, 2, "unset takes key names"},
		{[]string{"metadata", "frob"}, 2, "unknown metadata command"},
		{[]string{"status", "extra"}, 2, "unexpected argument"},
		{[]string{"token", "--name", "nothing"}, 2, "No API is declared under the name nothing"},
		{[]string{"header", "nothing", "GET", "https://api.example.test/"}, 2, "No API is declared under the name nothing"},
		{[]string{"token", "--agent", "maybe"}, 2, `--agent is auto or off, not "maybe"`},
		{[]string{"agent", "restart"}, 2, `unknown agent command "restart" (status, log, stop)`},
		{[]string{"agent", "status", "extra"}, 2, "unexpected argument"},
		{[]string{"agent", "--idle", "-1s"}, 2, "--idle must not be negative"},
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
	if code, _, errOut := w.run("--json", "status"); code != 2 || !strings.Contains(errOut, "flag provided but not defined: --json") {
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

func TestVersion(t *testing.T) {
	w := newWorld(t, nil)
	for _, args := range [][]string{{"--version"}, {"token", "--version"}} {
		code, out, errOut := w.run(args...)
		want := "Latch " + latchapp.Version() + " ("
		if code != 0 || !strings.HasPrefix(out, want) || strings.Count(out, "\n") != 1 || errOut != "" {
			t.Errorf("%v: exit %d, %q %q; want 0 and one line beginning %q", args, code, out, errOut, want)
		}
	}
}

// A --config that names no file is said, not taken as an empty
// configuration (the sandbox); latch accounts add makes the file.
func TestConfigThatIsNotThere(t *testing.T) {
	w := newWorld(t, nil)
	missing := filepath.Join(t.TempDir(), "nope", "x.toml")
	code, out, errOut := w.run("--config", missing, "status")
	if code != 2 || out != "" || !strings.Contains(errOut, "the config file "+missing+" given with --config does not exist") {
		t.Fatalf("--config naming no file: exit %d, %q, %q; want 2 saying so", code, out, errOut)
	}
	srv := startSandbox(t)
	made := filepath.Join(t.TempDir(), "made.toml")
	if code, _, errOut := w.run("--config", made, "accounts", "add", "work", "--issuer", srv.Issuer(), "--client-id", sandboxserver.ClientID); code != 0 {
		t.Fatalf("accounts add with a new --config: exit %d, %s", code, errOut)
	}
	if b, err := os.ReadFile(made); err != nil || !strings.Contains(string(b), "[accounts.work]") {
		t.Fatalf("accounts add made %q, %v; want the file with the account", b, err)
	}
}

// latch --sandbox status: the switch alone is true, and the command is
// found after it.
func TestSandboxSwitchAlone(t *testing.T) {
	w := newWorld(t, nil)
	code, out, errOut := w.run("--sandbox", "status")
	if code != 1 || !strings.Contains(out, "State: signed out") || strings.Contains(errOut, "is not true or false") {
		t.Fatalf("latch --sandbox status: exit %d, %q, %q; want the sandbox's status (nobody signed in)", code, out, errOut)
	}
}

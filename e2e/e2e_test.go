//go:build linux

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/keyringtest"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/testbrowser"
	"github.com/latchapp/latch/session"
	"github.com/latchapp/latch/session/keychain"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// latchBinary builds Latch once for the end-to-end tests, laid out as
// scripts/package lays it out: the command line (cmd/latch, without cgo)
// as latch, and beside it the desktop app (the module root) as
// latch-desktop, which `latch` with no command hands over to, and the
// sandbox provider (cmd/latch-sandbox) as latch-sandbox, which `latch
// sandbox` and a session on the sandbox start. Unlike the
// package's, the app is built with the race detector, and home's
// environment makes it exit at the first race it sees: every test that
// runs the app checks that its goroutines (Fyne's, the session's, the
// fonts loaded at launch) share nothing unguarded. It returns the command
// line's path. The tests use the real keychain under Latch's own service
// name, so they run only in the throwaway keyring of the README's test
// command: without a Secret Service they skip (or fail under
// scripts/test, see package peers).
func latchBinary(t *testing.T) string {
	t.Helper()
	keyringtest.Require(t)
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "latch-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "latch")
		for _, b := range []struct {
			out, pkg, cgo string
			race          bool
		}{
			{binPath, "./cmd/latch", "0", false},
			{filepath.Join(dir, "latch-sandbox"), "./cmd/latch-sandbox", "0", false},
			{filepath.Join(dir, "latch-desktop"), ".", "1", true},
		} {
			// The tag FyneApp.toml's migration sets in a package's build.
			args := []string{"build", "-tags", "migrated_fynedo", "-o", b.out}
			if b.race {
				args = append(args, "-race")
			}
			build := exec.Command("go", append(args, b.pkg)...)
			build.Dir = ".." // the module root
			build.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo)
			if out, err := build.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %w", b.pkg, err)
				t.Logf("%s", out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("building latch failed: %v", buildErr)
	}
	return binPath
}

// home is a private config and cache folder for the binary, so that the
// sandbox state and config file of the person running the tests are never
// touched. Its commands do their work themselves (LATCH_AGENT=off, as
// before the agent): the tests of the agent use withAgent.
func home(t *testing.T) []string {
	dir := t.TempDir()
	// GORACE: the app, built with -race, exits at the first race.
	return append(os.Environ(), "GORACE=halt_on_error=1", "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "LATCH_AGENT=off",
		"LATCH_ISSUER=", "LATCH_CLIENT_ID=", "LATCH_SANDBOX=", "LATCH_SANDBOX_ADDR=", "LATCH_METADATA_API=", "LATCH_SCOPES=", "LATCH_AUDIENCE=", "LATCH_AUTH0_DOMAIN=")
}

// envValue is the value that env gives name: its last setting, as a
// process started with env sees it.
func envValue(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if s, ok := strings.CutPrefix(kv, name+"="); ok {
			v = s
		}
	}
	return v
}

// latch runs the binary to the end and returns its exit code and output.
func latch(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	return runBinary(t, latchBinary(t), env, args...)
}

// runBinary runs bin to the end and returns its exit code and output.
func runBinary(t *testing.T, bin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	return runBinaryIn(t, "", "", bin, env, args...)
}

// runBinaryIn runs bin in dir (empty: here) with stdin to the end, within
// a minute, and returns its exit code and output.
func runBinaryIn(t *testing.T, dir, stdin, bin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Dir, cmd.Stdin = env, dir, strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// loginNoBrowser runs `latch login --no-browser ARGS` and signs in on the
// printed URL as a person at a browser would.
func loginNoBrowser(t *testing.T, env []string, user, password string, args ...string) {
	t.Helper()
	p := startLatch(t, env, append([]string{"login", "--no-browser"}, args...)...)
	// However the test ends, the keychain is left as it was found, for
	// the tests after it, which count Latch's items there.
	account := accountArgs(args)
	if account == nil {
		account = []string{"--account", activeAccount(env)}
	}
	t.Cleanup(func() {
		logout := exec.Command(p.cmd.Path, append([]string{"logout"}, account...)...)
		logout.Env = env
		_ = logout.Run()
	})
	testbrowser.SignInAtPrintedURL(t, p.stdout, user, password)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("latch login exited with %v, want success: %s", err, p.stderr.String())
	}
}

// activeAccount is the account a command run with env uses when no
// --account says: LATCH_ACCOUNT, else the active one, else "default".
func activeAccount(env []string) string {
	if name := envValue(env, "LATCH_ACCOUNT"); name != "" {
		return name
	}
	return latchapp.ActiveAccount(filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "latch", "config.toml"))
}

// accountArgs are the --account flag among args, if any.
func accountArgs(args []string) []string {
	for i, a := range args {
		if a == "--account" && i+1 < len(args) {
			return args[i : i+2]
		}
		if strings.HasPrefix(a, "--account=") {
			return args[i : i+1]
		}
	}
	return nil
}

// started is a latch process running in the background.
type started struct {
	cmd    *exec.Cmd
	stdout io.Reader
	lines  *bufio.Scanner
	stderr *strings.Builder
}

// startLatch starts the binary with args and reads its stdout as it comes.
func startLatch(t *testing.T, env []string, args ...string) *started {
	t.Helper()
	return startBinary(t, latchBinary(t), env, args...)
}

// startBinary starts bin with args and reads its stdout as it comes.
func startBinary(t *testing.T, bin string, env []string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &started{cmd: cmd, stdout: stdout, lines: bufio.NewScanner(stdout), stderr: &strings.Builder{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

// fields reads n "key: value" lines.
func (p *started) fields(n int) map[string]string {
	lines := map[string]string{}
	for len(lines) < n && p.lines.Scan() {
		k, v, _ := strings.Cut(p.lines.Text(), ": ")
		lines[k] = v
	}
	return lines
}

// writeConfig writes text as the config file of the commands run with
// env.
func writeConfig(t *testing.T, env []string, text string) {
	t.Helper()
	dir := filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "latch")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startSandbox runs `latch sandbox --addr addr` and returns its issuer and
// a function that stops it.
func startSandbox(t *testing.T, env []string, addr string, flags ...string) (string, func()) {
	t.Helper()
	p := startLatch(t, env, append([]string{"sandbox", "--addr", addr}, flags...)...)
	cmd, errb := p.cmd, p.stderr
	lines := p.fields(3)
	if lines["client_id"] != sandboxserver.ClientID || lines["metadata_api"] != lines["issuer"]+"/api/v2/" {
		t.Fatalf("latch sandbox printed %v (stderr %s), want its issuer, client_id %s and metadata_api", lines, errb.String(), sandboxserver.ClientID)
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
	t.Cleanup(stop)
	return lines["issuer"], stop
}

// TestBinarySignsInWithBrowserFlow signs in against an issuer given on the
// command line, as `go run . --issuer ... --client-id ...` does.
func TestBinarySignsInWithBrowserFlow(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	env := home(t)
	p := startLatch(t, env, "--issuer", op.Issuer, "--client-id", oidcprovider.ClientID, "--no-browser", "--no-window")
	cmd, stdout, sc, stderr := p.cmd, p.stdout, p.lines, p.stderr
	if !sc.Scan() {
		t.Fatalf("no sign-in URL printed (stderr: %s), want one on the first line", stderr.String())
	}
	if code, _, err := testbrowser.NewBrowser("alice", oidcprovider.Accounts["alice"]).Visit(sc.Text()); err != nil || code != 200 {
		t.Fatalf("the browser ended on %d, %v; want 200", code, err)
	}
	rest, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("latch exited with %v (stderr: %s), want success", err, stderr.String())
	}
	if !strings.Contains(string(rest), "Signed in as Alice Liddell <alice@example.test> (subject alice)") {
		t.Fatalf("stdout: %s; want who signed in", rest)
	}
	// The session is in the keychain: the next run signs nobody in.
	code, out, errOut := latch(t, env, "--issuer", op.Issuer, "--client-id", oidcprovider.ClientID, "--no-browser", "--no-window")
	if code != 0 || strings.Contains(out, "code_challenge") || !strings.Contains(out, "Signed in as Alice") {
		t.Fatalf("second run exit %d: %s %s; want 0, no sign-in, Alice", code, out, errOut)
	}
	if code, _, errOut := latch(t, env, "logout", "--issuer", op.Issuer, "--client-id", oidcprovider.ClientID); code != 0 {
		t.Fatalf("logout exit %d: %s; want 0", code, errOut)
	}
}

// TestBinaryAgainstTheSandbox is the command line's whole story against
// `latch sandbox`.
func TestBinaryAgainstTheSandbox(t *testing.T) {
	env := home(t)
	issuer, stop := startSandbox(t, env, "127.0.0.1:0")
	addr := strings.TrimPrefix(issuer, "http://")
	env = append(env, "LATCH_ISSUER="+issuer, "LATCH_CLIENT_ID="+sandboxserver.ClientID, "LATCH_METADATA_API="+issuer+"/api/v2/")

	loginNoBrowser(t, env, "demo", "demo")
	code, out, errOut := latch(t, env, "status")
	if code != 0 || !strings.Contains(out, "State: signed in") || !strings.Contains(out, "Dana Demo") || !strings.Contains(out, "Refresh token: held") {
		t.Fatalf("status exit %d: %s %s; want 0, signed in as Dana Demo with a refresh token", code, out, errOut)
	}
	code, token, errOut := latch(t, env, "token")
	if code != 0 || len(strings.TrimSpace(token)) < 20 {
		t.Fatalf("token exit %d: %s; want 0 and a token", code, errOut)
	}
	if code, _, errOut := latch(t, env, "metadata", "set", "color=blue", "size=3", `nested={"x":[1,2]}`); code != 0 {
		t.Fatalf("metadata set exit %d: %s; want 0", code, errOut)
	}
	if code, _, errOut := latch(t, env, "metadata", "unset", "size"); code != 0 {
		t.Fatalf("metadata unset exit %d: %s; want 0", code, errOut)
	}

	// Restart the sandbox on the same address: same issuer, same session,
	// same metadata.
	stop()
	startSandbox(t, env, addr)
	code, out, errOut = latch(t, env, "metadata", "get")
	if code != 0 || out != "color=\"blue\"\nnested={\"x\":[1,2]}\n" {
		t.Fatalf("get after restart exit %d: %q %s; want 0 and the metadata kept", code, out, errOut)
	}

	m, err := session.New(session.Config{Issuer: issuer, ClientID: sandboxserver.ClientID, Store: keychain.New(latchapp.KeychainService), LockDir: t.TempDir(), ManualRenewal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	creds, err := m.Held(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := latch(t, env, "logout"); code != 0 {
		t.Fatalf("logout exit %d: %s; want 0", code, errOut)
	}
	if n := keyringtest.Items(t, latchapp.KeychainService); n != 0 {
		t.Fatalf("%d keychain items of Latch after logout, want none", n)
	}
	resp, err := http.PostForm(issuer+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {creds.RefreshToken}, "client_id": {sandboxserver.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "invalid_grant") {
		t.Fatalf("the old refresh token after logout answered %d %s, want 400 invalid_grant", resp.StatusCode, body)
	}
	if code, _, errOut := latch(t, env, "token"); code != 1 || !strings.Contains(errOut, "not signed in") {
		t.Fatalf("token after logout exit %d: %s; want 1 saying not signed in", code, errOut)
	}
}

// TestBinaryDeviceLogin completes `latch login --device` through the
// sandbox's device page, with the sandbox started by latch itself.
func TestBinaryDeviceLogin(t *testing.T) {
	env := home(t)
	issuer, _ := startSandbox(t, env, "127.0.0.1:0")
	env = append(env, "LATCH_SANDBOX_ADDR="+strings.TrimPrefix(issuer, "http://"))
	p := startLatch(t, env, "login", "--device")
	cmd, errb := p.cmd, p.stderr
	lines := p.fields(3)
	if !strings.HasPrefix(lines["verification_uri"], issuer) || lines["user_code"] == "" {
		t.Fatalf("printed %v (%s), want a user code and a verification URI on the sandbox", lines, errb.String())
	}
	if code, body, err := testbrowser.NewBrowser("ada", "lovelace").Visit(lines["verification_uri_complete"]); err != nil || code != 200 || !strings.Contains(body, "signed in") {
		t.Fatalf("device page ended on %d, %v; want 200 saying signed in", code, err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("login --device exited with %v (%s), want success", err, errb.String())
	}
	code, out, _ := latch(t, env, "status", "--json")
	if code != 0 || !strings.Contains(out, `"subject": "sandbox|ada"`) {
		t.Fatalf("status --json exit %d: %s; want 0 for sandbox|ada", code, out)
	}
	latch(t, env, "logout")
}

// TestBinaryOutOfTheBox is `go run .` on a machine with nothing
// configured: Latch starts its sandbox (latch-sandbox) and signs the person in
// through the browser.
func TestBinaryOutOfTheBox(t *testing.T) {
	env := home(t)
	addr := sandboxtest.FreeAddr(t)
	env = append(env, "LATCH_SANDBOX_ADDR="+addr)
	p := startLatch(t, env, "--no-browser", "--no-window")
	cmd, stdout, sc, errb := p.cmd, p.stdout, p.lines, p.stderr
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "http://"+addr+"/") {
		t.Fatalf("printed %q (%s), want a sign-in URL on the sandbox at %s", sc.Text(), errb.String(), addr)
	}
	if code, _, err := testbrowser.NewBrowser("demo", "demo").Visit(sc.Text()); err != nil || code != 200 {
		t.Fatalf("the browser ended on %d, %v; want 200", code, err)
	}
	rest, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil || !strings.Contains(string(rest), "Signed in as Dana Demo") {
		t.Fatalf("latch exited with %v: %s %s; want success and Dana Demo signed in", err, rest, errb.String())
	}
	// The sandbox went with that process; a valid token needs none.
	code, token, stderr := latch(t, env, "token", "--verbose")
	if code != 0 || token == "" || strings.Contains(stderr, "started the sandbox") {
		t.Errorf("latch token: exit %d, log:\n%s\nwant a token and no sandbox started for it", code, stderr)
	}
	// Signing out needs the provider: the sandbox starts for it.
	code, _, stderr = latch(t, env, "logout", "--verbose")
	if code != 0 || !strings.Contains(stderr, "started the sandbox") {
		t.Errorf("latch logout: exit %d, log:\n%s\nwant success, with the sandbox started to revoke the session", code, stderr)
	}
	// The sandbox it started went with it.
	stopsListening(t, addr, "latch logout ended")
}

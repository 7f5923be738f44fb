//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/peers"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// Windows' programs run under Debian's Wine (wine64), in one prefix kept
// between runs on a machine (it takes a quarter of a minute to make):
// LATCH_WINEPREFIX, else latch-tests/wine in the user's cache folder.
// Wine 8 lacks bcryptprimitives.dll, from which Go's Windows runtime
// takes its random bytes (ProcessPrng); the tests build a small one with
// mingw-w64 (testdata/wine) into the prefix. Nothing of this is shipped.
type winePrefix struct {
	wine     string   // the wine64 loader
	env      []string // WINEPREFIX and quiet
	wincreds string   // the Credential Manager lister (internal/testing/wincreds)
	dir      string   // Latch's Windows programs
}

var (
	wineOnce sync.Once
	wineErr  error
	wineDone *winePrefix
)

// wineReady makes (once per test run) the prefix and what runs in it.
func wineReady(t *testing.T) *winePrefix {
	t.Helper()
	wine := "/usr/lib/wine/wine64" // Debian's wine64, which puts no wine on PATH
	if _, err := os.Stat(wine); err != nil {
		if wine, err = exec.LookPath("wine64"); err != nil {
			peers.Missing(t, "Wine (wine64)", "not installed; scripts/deps test installs it")
		}
	}
	if _, err := exec.LookPath("x86_64-w64-mingw32-gcc"); err != nil {
		peers.Missing(t, "mingw-w64", err.Error())
	}
	dir := filepath.Join(packages(t), "latch-"+fyneApp(t, "Version")+"-windows-amd64")
	wineOnce.Do(func() { wineDone, wineErr = makeWinePrefix(wine, dir) })
	if wineErr != nil {
		t.Fatalf("making the Wine prefix: %v", wineErr)
	}
	return wineDone
}

func makeWinePrefix(wine, dir string) (*winePrefix, error) {
	prefix := os.Getenv("LATCH_WINEPREFIX")
	if prefix == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return nil, err
		}
		prefix = filepath.Join(cache, "latch-tests", "wine")
	}
	w := &winePrefix{wine: wine, dir: dir, env: []string{"WINEPREFIX=" + prefix, "WINEDEBUG=-all",
		// No Mono or Gecko, and no dialog offering them.
		"WINEDLLOVERRIDES=mscoree,mshtml="}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = slices.Concat(os.Environ(), w.env)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %v: %w\n%s", filepath.Base(name), args, err, out)
		}
		return nil
	}
	system32 := filepath.Join(prefix, "drive_c", "windows", "system32")
	if _, err := os.Stat(filepath.Join(prefix, "system.reg")); err != nil {
		if err := os.MkdirAll(filepath.Dir(prefix), 0o700); err != nil {
			return nil, err
		}
		if err := run(wine, "wineboot", "--init"); err != nil {
			return nil, err
		}
		if err := run(filepath.Join(filepath.Dir(wine), "wineserver"), "--wait"); err != nil {
			return nil, err
		}
	}
	if err := run("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o", filepath.Join(system32, "bcryptprimitives.dll"),
		"testdata/wine/processprng.c", "testdata/wine/processprng.def", "-lbcrypt"); err != nil {
		return nil, err
	}
	tools, err := os.MkdirTemp("", "latch-wine-tools")
	if err != nil {
		return nil, err
	}
	w.wincreds = filepath.Join(tools, "wincreds.exe")
	build := exec.CommandContext(ctx, "go", "build", "-o", w.wincreds, "./internal/testing/wincreds")
	build.Dir = ".."
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building wincreds: %w\n%s", err, out)
	}
	return w, nil
}

// command is a Windows program of Latch's (latch.exe, latch-desktop.exe)
// with args, under Wine, with env.
func (w *winePrefix) command(env []string, program string, args ...string) *exec.Cmd {
	cmd := exec.Command(w.wine, append([]string{filepath.Join(w.dir, program)}, args...)...)
	cmd.Env = slices.Concat(env, w.env)
	return cmd
}

// latch runs latch.exe to the end, within two minutes.
func (w *winePrefix) latch(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := w.command(env, "latch.exe", args...)
	// Files, not pipes: a process that latch.exe starts in the
	// background (the agent) holds, under Wine, the Unix descriptors of
	// its parent's, and a pipe would stay open as long as it runs.
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	errf, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	cmd.Stdout, cmd.Stderr = out, errf
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	read := func(f *os.File) string {
		b, _ := os.ReadFile(f.Name())
		return string(b)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("latch.exe %v still runs after two minutes: %s %s", args, read(out), read(errf))
	}
	return cmd.ProcessState.ExitCode(), read(out), read(errf)
}

// credentials are the generic credentials Latch has in the prefix's
// Credential Manager, asked through Windows' API: target and size.
func (w *winePrefix) credentials(t *testing.T, remove bool) map[string]int {
	t.Helper()
	verb := "list"
	if remove {
		verb = "remove"
	}
	cmd := exec.Command(w.wine, w.wincreds, verb, "latch:")
	cmd.Env = slices.Concat(os.Environ(), w.env)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("wincreds %s: %v", verb, err)
	}
	creds := map[string]int{}
	for line := range strings.Lines(string(out)) {
		var target string
		var size int
		if n, _ := fmt.Sscan(strings.TrimSpace(line), &target, &size); n == 2 {
			creds[target] = size
		}
	}
	return creds
}

// windowsEnv is an environment in which latch.exe signs in to the
// sandbox at issuer as to any provider (Windows programs keep their
// configuration in the prefix, away from the sandbox's state file).
func windowsEnv(t *testing.T, issuer string, extra ...string) []string {
	return slices.Concat(home(t), []string{"LATCH_ISSUER=" + issuer, "LATCH_CLIENT_ID=" + sandboxserver.ClientID, "LATCH_METADATA_API=" + issuer + "/api/v2/"}, extra)
}

// configure writes Latch's config file where latch.exe reads it, in the
// prefix's %AppData%, until the test ends.
func (w *winePrefix) configure(t *testing.T, text string) {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(envValue(w.env, "WINEPREFIX"), "drive_c", "users", u.Username, "AppData", "Roaming", "latch")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(file) })
}

// start starts latch.exe with args under Wine and reads its stdout as it
// comes.
func (w *winePrefix) start(t *testing.T, env []string, args ...string) *started {
	t.Helper()
	return startBinary(t, w.wine, slices.Concat(env, w.env), append([]string{filepath.Join(w.dir, "latch.exe")}, args...)...)
}

// loginUnderWine signs demo in with latch.exe login --no-browser, at a
// browser of the test's.
func (w *winePrefix) loginUnderWine(t *testing.T, env []string) {
	t.Helper()
	p := w.start(t, env, "login", "--no-browser")
	testbrowser.SignInAtPrintedURL(t, p.stdout, "demo", "demo")
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("latch.exe login exited with %v: %s", err, p.stderr.String())
	}
}

// The command line, as Windows runs it: every flow against the sandbox,
// a DPoP key and a named token (so that a value too large for one
// Windows credential, 2560 bytes, is split and read back whole), four
// processes renewing at once, and a sign-out that leaves nothing of
// Latch's in Credential Manager.
func TestWindowsCommandLineUnderWine(t *testing.T) {
	w := wineReady(t)
	if left := w.credentials(t, true); len(left) > 0 {
		t.Logf("removed what an earlier run left in the prefix: %v", left)
	}
	issuer, _ := startSandbox(t, home(t), sandboxtest.FreeAddr(t))
	env := windowsEnv(t, issuer, "LATCH_DPOP=1")
	// Two named tokens: together, more than one Windows credential holds.
	w.configure(t, "[apis.reports]\naudience = \"https://reports.example.test/\"\nscopes = [\"reports:read\"]\n\n"+
		"[apis.billing]\naudience = \"https://billing.example.test/\"\nscopes = [\"billing:read\"]\n")

	w.loginUnderWine(t, env)
	t.Cleanup(func() { w.credentials(t, true) })
	if code, out, errOut := w.latch(t, env, "status", "--json"); code != 0 || !strings.Contains(out, `"subject": "sandbox|demo"`) || !strings.Contains(out, "dpop") {
		t.Fatalf("latch.exe status --json: exit %d, %s%s; want demo's session, DPoP-bound", code, out, errOut)
	}
	code, first, errOut := w.latch(t, env, "token")
	if code != 0 || strings.TrimSpace(first) == "" {
		t.Fatalf("latch.exe token: exit %d, %s; want a token", code, errOut)
	}
	// Tokens live two minutes: an hour's margin renews.
	if code, renewed, errOut := w.latch(t, env, "token", "--min-ttl", "1h"); code != 0 || renewed == first || strings.TrimSpace(renewed) == "" {
		t.Fatalf("latch.exe token --min-ttl 1h: exit %d, %s; want a renewed token", code, errOut)
	}
	if code, _, errOut := w.latch(t, env, "metadata", "set", "theme=dark", "seen=3"); code != 0 {
		t.Fatalf("latch.exe metadata set: exit %d, %s", code, errOut)
	}
	if code, out, errOut := w.latch(t, env, "metadata", "get", "--json"); code != 0 || !strings.Contains(out, `"theme": "dark"`) || !strings.Contains(out, `"seen": 3`) {
		t.Fatalf("latch.exe metadata get --json: exit %d, %s%s; want theme dark and seen 3", code, out, errOut)
	}
	if code, out, errOut := w.latch(t, env, "header", "-", "GET", issuer+"/userinfo"); code != 0 || !strings.Contains(out, "Authorization: DPoP ") || !strings.Contains(out, "DPoP: ") {
		t.Fatalf("latch.exe header: exit %d, %s%s; want the DPoP authorization and proof", code, out, errOut)
	}
	code, named, errOut := w.latch(t, env, "token", "--name", "reports")
	if code != 0 || strings.TrimSpace(named) == "" {
		t.Fatalf("latch.exe token --name: exit %d, %s; want the named token", code, errOut)
	}
	if code, out, errOut := w.latch(t, env, "token", "--name", "billing"); code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("latch.exe token --name billing: exit %d, %s; want the named token", code, errOut)
	}
	if code, again, errOut := w.latch(t, env, "token", "--name", "reports"); code != 0 || again != named {
		t.Fatalf("latch.exe token --name again: exit %d, %s; want the same token, read back whole from Credential Manager", code, errOut)
	}
	creds := w.credentials(t, false)
	chunked := false
	for target, size := range creds {
		if size > 2560 {
			t.Errorf("the credential %s holds %d bytes; Windows allows 2560", target, size)
		}
		if strings.HasSuffix(target, ".a.0") || strings.HasSuffix(target, ".b.0") {
			chunked = true
		}
	}
	if !chunked {
		t.Errorf("Credential Manager holds %v; want the named tokens split across items", creds)
	}

	// Four processes renewing at once, through the lock file (LockFileEx).
	var calls, failures atomic.Int32
	var firstFailure sync.Once
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 8 {
				calls.Add(1)
				if code, _, errOut := w.latch(t, env, "token", "--min-ttl", "1h"); code != 0 {
					failures.Add(1)
					firstFailure.Do(func() { t.Errorf("a renewal failed: %s", errOut) })
				}
			}
		})
	}
	wg.Wait()
	if failures.Load() != 0 {
		t.Fatalf("%d of %d renewals in four processes failed; want none", failures.Load(), calls.Load())
	}
	if code, out, errOut := w.latch(t, env, "status"); code != 0 || !strings.Contains(out, "Dana Demo") {
		t.Fatalf("latch.exe status after the renewals: exit %d, %s%s; want demo still signed in", code, out, errOut)
	}

	if code, _, errOut := w.latch(t, env, "logout"); code != 0 {
		t.Fatalf("latch.exe logout: exit %d, %s", code, errOut)
	}
	if code, _, errOut := w.latch(t, env, "token"); code != 1 || !strings.Contains(errOut, "not signed in") {
		t.Errorf("latch.exe token after logout: exit %d, %q; want 1 saying not signed in", code, errOut)
	}
	if left := w.credentials(t, false); len(left) != 0 {
		t.Errorf("after logout Credential Manager still holds %v; want nothing of Latch's", left)
	}
}

// The device flow, as Windows runs it.
func TestWindowsDeviceLoginUnderWine(t *testing.T) {
	w := wineReady(t)
	issuer, _ := startSandbox(t, home(t), sandboxtest.FreeAddr(t))
	env := windowsEnv(t, issuer)
	p := w.start(t, env, "login", "--device")
	t.Cleanup(func() { w.latch(t, env, "logout") })
	lines := p.fields(3)
	if code, body, err := testbrowser.NewBrowser("ada", "lovelace").Visit(lines["verification_uri_complete"]); err != nil || code != 200 || !strings.Contains(body, "signed in") {
		t.Fatalf("the device page ended on %d, %v (printed %v, %s); want 200 saying signed in", code, err, lines, p.stderr.String())
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("latch.exe login --device exited with %v: %s", err, p.stderr.String())
	}
	if code, out, errOut := w.latch(t, env, "status", "--json"); code != 0 || !strings.Contains(out, `"subject": "sandbox|ada"`) {
		t.Fatalf("latch.exe status --json: exit %d, %s%s; want ada signed in", code, out, errOut)
	}
}

// The desktop app, as Windows runs it, in a real window under Xvfb: it
// opens on the profile from the stored session, and shows a sign-out
// made with latch.exe within 2 seconds. Its window is kept as an
// artifact.
func TestWindowsDesktopUnderWine(t *testing.T) {
	needDisplay(t, "import")
	w := wineReady(t)
	issuer, _ := startSandbox(t, home(t), sandboxtest.FreeAddr(t))
	env := windowsEnv(t, issuer)
	w.loginUnderWine(t, env)
	t.Cleanup(func() { w.credentials(t, true) })

	waitScreen := watchApp(t, w.command(env, "latch-desktop.exe", "--verbose"), io.Discard)
	if line := waitScreen("screen=profile", 2*time.Minute); !strings.Contains(line, "subject=sandbox|demo") {
		t.Fatalf("the app shows %s; want demo's profile", line)
	}
	time.Sleep(time.Second) // the avatar and the metadata, drawn
	if picture, err := exec.Command("import", "-window", "root", "png:-").Output(); err == nil {
		_ = os.WriteFile(filepath.Join(t.ArtifactDir(), "windows-desktop.png"), picture, 0o644)
	}
	if code, _, errOut := w.latch(t, env, "logout"); code != 0 {
		t.Fatalf("latch.exe logout: exit %d, %s", code, errOut)
	}
	waitScreen("screen=signin", 2*time.Second)
	if left := w.credentials(t, false); len(left) != 0 {
		t.Errorf("after logout Credential Manager still holds %v; want nothing of Latch's", left)
	}
}

// The agent as Windows runs it: latch.exe token starts a headless agent
// (a detached process), which serves the commands after it over a named
// pipe whose access list admits the person alone, each client's user
// checked; latch.exe agent stop stops it.
func TestWindowsAgentUnderWine(t *testing.T) {
	w := wineReady(t)
	w.credentials(t, true)
	issuer, _ := startSandbox(t, home(t), sandboxtest.FreeAddr(t))
	env := windowsEnv(t, issuer, "LATCH_AGENT=auto")
	w.loginUnderWine(t, env)
	t.Cleanup(func() {
		w.latch(t, env, "agent", "stop")
		w.credentials(t, true)
	})
	code, first, errOut := w.latch(t, env, "token")
	if code != 0 || strings.TrimSpace(first) == "" {
		t.Fatalf("latch.exe token: exit %d, %s; want a token, from the agent it starts", code, errOut)
	}
	code, out, errOut := w.latch(t, env, "agent", "status", "--json")
	var st agentStatus
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("latch.exe agent status --json: exit %d, %s%s; want the running agent's status", code, out, errOut)
	}
	if !strings.HasPrefix(st.Socket, `\\.\pipe\latch-agent-S-1-5-`) || st.PID == 0 || st.App || len(st.Accounts) != 1 || st.Accounts[0].State != "signed in" {
		t.Fatalf("agent status %+v; want a headless agent on the person's named pipe, holding the signed-in session", st)
	}
	if code, renewed, errOut := w.latch(t, env, "token", "--min-ttl", "1h"); code != 0 || renewed == first || strings.TrimSpace(renewed) == "" {
		t.Fatalf("latch.exe token --min-ttl 1h through the agent: exit %d, %s; want a renewed token", code, errOut)
	}
	if code, out, errOut := w.latch(t, env, "status"); code != 0 || !strings.Contains(out, "Dana Demo") {
		t.Fatalf("latch.exe status through the agent: exit %d, %s%s; want demo signed in", code, out, errOut)
	}
	// A token to confirm: the headless agent refuses it, and its log
	// names latch.exe as Windows tells the pipe's client.
	w.configure(t, "confirm = true\n")
	if code, out, errOut := w.latch(t, env, "token"); code != 1 || out != "" || !strings.Contains(errOut, "allow it in Latch's desktop app") {
		t.Fatalf("latch.exe token marked confirm = true, headless agent: exit %d, %q %q; want 1, saying the app must confirm", code, out, errOut)
	}
	code, out, errOut = w.latch(t, env, "agent", "log", "--json")
	var uses []use
	if code != 0 || json.Unmarshal([]byte(out), &uses) != nil || len(uses) == 0 {
		t.Fatalf("latch.exe agent log --json: exit %d, %s%s; want the uses", code, out, errOut)
	}
	if u := uses[0]; u.Outcome != "refused" || !strings.HasSuffix(strings.ToLower(u.Program.Path), `\latch.exe`) || u.Program.PID == 0 {
		t.Fatalf("the newest use %+v; want the refusal, naming latch.exe and its pid", u)
	}
	if code, _, errOut := w.latch(t, env, "agent", "stop"); code != 0 || !strings.Contains(errOut, "Stopped the agent") {
		t.Fatalf("latch.exe agent stop: exit %d, %s; want it stopped", code, errOut)
	}
	if code, _, errOut := w.latch(t, env, "agent", "status"); code != 1 || !strings.Contains(errOut, "No agent is running") {
		t.Fatalf("latch.exe agent status after stop: exit %d, %s; want 1, none running", code, errOut)
	}
	if code, _, errOut := w.latch(t, env, "logout"); code != 0 {
		t.Fatalf("latch.exe logout: exit %d, %s", code, errOut)
	}
}

// With the agent off, as Windows runs it: a provider that answers a
// renewal after the command gave up has its answer stored by the
// command's detached child, and the session lives on.
func TestWindowsLateAnswerWithoutTheAgentUnderWine(t *testing.T) {
	w := wineReady(t)
	w.credentials(t, true)
	proxy, env := providerBehindProxy(t, time.Hour) // LATCH_AGENT=off
	p := w.start(t, env, "login", "--no-browser")
	testbrowser.SignInAtPrintedURL(t, p.stdout, "alice", oidcprovider.Accounts["alice"])
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("latch.exe login exited with %v: %s", err, p.stderr.String())
	}
	t.Cleanup(func() { w.credentials(t, true) })
	proxy.SetFault(&faultproxy.Fault{HoldAnswer: 8 * time.Second, Times: 1})
	start := time.Now()
	code, _, errOut := w.latch(t, env, "token", "--min-ttl", "2h", "--timeout", "3s")
	if took := time.Since(start); code != 1 || !strings.Contains(errOut, "Gave up after 3s") || took > 8*time.Second {
		t.Fatalf("latch.exe token --timeout 3s with the provider 8 s late: exit %d after %s: %q; want 1 within its deadline", code, took.Round(time.Millisecond), errOut)
	}
	time.Sleep(12*time.Second - time.Since(start))
	if code, _, errOut := w.latch(t, env, "token", "--min-ttl", "2h"); code != 0 {
		t.Fatalf("latch.exe token after the late answer: %s; want the session alive", errOut)
	}
	w.latch(t, env, "logout")
}

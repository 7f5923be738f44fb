//go:build linux

package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/syncbuf"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// TestNoTokenLeaks runs a whole session at debug log level, through the
// command line and the app under Xvfb, against the sandbox behind a proxy
// that records every secret that passes: sign-in in the browser and on
// another device, renewals, metadata edits, sign-out. Then it searches
// every process's stderr, the config and cache folders (Fyne's
// preferences and the avatar cache included) and the sandbox's state file
// for each of them.
func TestNoTokenLeaks(t *testing.T) {
	bin := latchBinary(t)
	needDisplay(t, "xdotool")
	env := home(t)
	configDir, cacheDir := envValue(env, "XDG_CONFIG_HOME"), envValue(env, "XDG_CACHE_HOME")
	addr := sandboxtest.FreeAddr(t)
	proxy := faultproxy.Listen(t)
	logs := &syncbuf.Buffer{}

	sb := startLatch(t, env, "sandbox", "--verbose", "--addr", addr, "--issuer", proxy.URL, "--token-ttl", "3s")
	t.Cleanup(func() { _ = sb.cmd.Process.Kill(); _ = sb.cmd.Wait() })
	if lines := sb.fields(3); lines["issuer"] != proxy.URL {
		t.Fatalf("latch sandbox printed %v, want the issuer %s", lines, proxy.URL)
	}
	proxy.Forward("http://" + addr)
	env = append(env, "LATCH_ISSUER="+proxy.URL, "LATCH_CLIENT_ID="+sandboxserver.ClientID, "LATCH_METADATA_API="+proxy.URL+"/api/v2/")

	// run runs a command at debug level and keeps its stderr.
	run := func(args ...string) {
		t.Helper()
		code, _, stderr := latch(t, env, append(args, "--verbose")...)
		logs.WriteString(stderr)
		if code != 0 {
			t.Fatalf("latch %v exit %d: %s; want 0", args, code, stderr)
		}
	}
	// finish waits for a command started with startLatch and keeps its
	// stderr.
	finish := func(p *started) {
		t.Helper()
		err := p.cmd.Wait()
		logs.WriteString(p.stderr.String())
		if err != nil {
			t.Fatalf("latch %v failed: %v", p.cmd.Args[1:], err)
		}
	}

	// The command line: sign-in in the browser, tokens, a renewal,
	// metadata, status, sign-out.
	p := startLatch(t, env, "login", "--no-browser", "--verbose")
	if !p.lines.Scan() {
		t.Fatal("latch login printed no sign-in URL, want one")
	}
	if code, _, err := testbrowser.NewBrowser("demo", "demo").Visit(p.lines.Text()); err != nil || code != 200 {
		t.Fatalf("browser sign-in ended on %d, %v; want 200", code, err)
	}
	finish(p)
	run("token")
	run("token", "--min-ttl", "1h")
	run("metadata", "set", "color=blue", `prefs={"a":1}`)
	run("metadata", "get", "--json")
	run("status", "--json")
	run("logout")

	// Sign-in on another device.
	p = startLatch(t, env, "login", "--device", "--verbose")
	if code, _, err := testbrowser.NewBrowser("ada", "lovelace").Visit(p.fields(3)["verification_uri_complete"]); err != nil || code != 200 {
		t.Fatalf("device sign-in ended on %d, %v; want 200", code, err)
	}
	finish(p)
	run("token")

	// The app: the stored session, renewals by its scheduler, userinfo and
	// the avatar, then a sign-out with the keyboard.
	waitScreen := startAppLogging(t, bin, env, logs)
	waitScreen("screen=profile", time.Minute)
	time.Sleep(5 * time.Second) // renewals of 3-second tokens
	signOutByKeyboard(t)
	waitScreen("screen=signin", time.Minute)
	// The app tells the provider after it shows the sign-in screen; wait
	// until that is done and nothing of Latch is left in the keychain.
	waitKeychainEmpty(t)

	// The sandbox's own log is complete once it stops.
	_ = sb.cmd.Process.Signal(os.Interrupt)
	_ = sb.cmd.Wait()
	logs.WriteString(sb.stderr.String())

	// The search.
	var secrets []string
	for _, s := range proxy.Secrets() {
		if len(s) >= 8 && !slices.Contains(secrets, s) {
			secrets = append(secrets, s)
		}
	}
	if len(secrets) < 10 {
		t.Fatalf("%d secrets recorded, want every code, verifier and token of the run", len(secrets))
	}
	places := map[string]string{"the processes' stderr": logs.String()}
	for _, dir := range []string{configDir, cacheDir} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, err := os.ReadFile(path); err == nil {
					places[path] = string(b)
				}
			}
			return nil
		})
	}
	for where, text := range places {
		for i, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %d of %d (%d characters) appears in %s, want it nowhere", i+1, len(secrets), len(s), where)
			}
		}
	}
	t.Logf("%d secrets searched for in %d places (stderr of every process, %d files): none found", len(secrets), len(places), len(places)-1)
}

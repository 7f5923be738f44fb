package e2e

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/syncbuf"
)

// TestAMisspeltKeyOpensAWindowNamingIt starts the desktop app, as the
// desktop's menu does, on a config file with a misspelt key: a window
// opens saying which key, on which line, and what was meant (not an exit
// with a line on a stderr nobody reads); once the file is fixed, Enter
// tries again and the app goes on.
func TestAMisspeltKeyOpensAWindowNamingIt(t *testing.T) {
	bin := latchBinary(t)
	needDisplay(t, "xdotool")
	env := home(t)
	writeConfig(t, env, "# my settings\nisuer = \"https://id.example.com/\"\nclient_id = \"latch\"\n")
	var log syncbuf.Buffer
	waitScreen := startAppLogging(t, bin, env, &log)
	waitScreen("screen=problem", time.Minute)
	for _, want := range []string{"line 2", `unknown key \"isuer\": did you mean \"issuer\"?`} {
		if !strings.Contains(log.String(), want) {
			t.Fatalf("the app's log says:\n%s\nwant the problem with %s", log.String(), want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	window := latchWindow(ctx, t) // a window, shown

	writeConfig(t, env, "# my settings: the sandbox, for now\n")
	xdotool(ctx, t, "windowfocus", "--sync", window)
	time.Sleep(500 * time.Millisecond)
	xdotool(ctx, t, "key", "--window", window, "Return")
	waitScreen("screen=signin", time.Minute) // the sandbox, nobody signed in
}

// TestTabThenEnterSignsIn: on the sign-in screen, Tab moves the focus to
// "Sign in with browser" and Enter presses it (Fyne's buttons take Space
// alone): the browser is opened on the provider's sign-in page.
func TestTabThenEnterSignsIn(t *testing.T) {
	_, opened, window := signedOutApp(t, home(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	xdotool(ctx, t, "windowfocus", "--sync", window)
	time.Sleep(500 * time.Millisecond)
	xdotool(ctx, t, "key", "--window", window, "Tab")
	time.Sleep(200 * time.Millisecond)
	xdotool(ctx, t, "key", "--window", window, "Return")
	select {
	case u := <-opened:
		if !strings.Contains(u, "client_id=") || !strings.Contains(u, "code_challenge=") {
			t.Fatalf("Tab, Enter opened %q; want the provider's sign-in page", u)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Tab, Enter opened no browser within 20 s")
	}
}

// TestVersionOfTheThreePrograms: latch, latch-desktop and latch-sandbox
// --version print the same line, the version and the Go toolchain,
// without a display (no window is opened for it).
func TestVersionOfTheThreePrograms(t *testing.T) {
	bin := latchBinary(t)
	env := append(home(t), "DISPLAY=", "WAYLAND_DISPLAY=")
	var first string
	for _, program := range []string{bin, filepath.Join(filepath.Dir(bin), "latch-desktop"), filepath.Join(filepath.Dir(bin), "latch-sandbox")} {
		code, out, errOut := runBinary(t, program, env, "--version")
		if code != 0 || !strings.HasPrefix(out, "Latch ") || !strings.Contains(out, runtime.Version()) || errOut != "" {
			t.Fatalf("%s --version: exit %d, %q %q; want 0 and Latch's version", filepath.Base(program), code, out, errOut)
		}
		if first == "" {
			first = out
		}
		if out != first {
			t.Errorf("%s --version says %q; latch says %q: want one version", filepath.Base(program), out, first)
		}
	}
}

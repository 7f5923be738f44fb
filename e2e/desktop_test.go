//go:build linux

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/testing/keyringtest"
	"github.com/latchapp/latch/internal/testing/peers"
	"github.com/latchapp/latch/internal/testing/syncbuf"
)

// TestDesktopAppUnderXvfb runs the app in a real window under Xvfb with a
// session stored by `latch login`: it must open on the profile screen for
// that user, and sign out on real key events (Ctrl+Shift+Q, then Enter),
// leaving no item of Latch in the keychain.
func TestDesktopAppUnderXvfb(t *testing.T) {
	needDisplay(t, "xdotool")
	_, waitScreen := appSignedIn(t)
	line := waitScreen("screen=profile", time.Minute)
	if !strings.Contains(line, "subject=sandbox|demo") {
		t.Fatalf("profile screen logged as %s, want subject=sandbox|demo", line)
	}

	signOutByKeyboard(t)
	waitScreen("screen=signin", time.Minute)
	waitKeychainEmpty(t)
}

// TestDesktopAppWithDPoP runs the app on a DPoP-bound session: its key is
// read from the keychain, the profile's userinfo and metadata calls carry
// proofs, and signing out takes the key with the session.
func TestDesktopAppWithDPoP(t *testing.T) {
	needDisplay(t, "xdotool")
	var log syncbuf.Buffer
	_, waitScreen := appSignedInLogging(t, &log, "LATCH_DPOP=true")
	waitScreen("screen=profile", time.Minute)
	time.Sleep(2 * time.Second) // the profile's requests are answered
	if text := log.String(); strings.Contains(text, "userinfo unavailable") || strings.Contains(text, "level=ERROR") {
		t.Fatalf("the app could not use its DPoP token:\n%s", text)
	}
	signOutByKeyboard(t)
	waitScreen("screen=signin", time.Minute)
	waitKeychainEmpty(t)
}

// signOutByKeyboard signs out of the app's window with real key events:
// Ctrl+Shift+Q asks, Enter confirms.
func signOutByKeyboard(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	window := latchWindow(ctx, t)
	xdotool(ctx, t, "windowfocus", "--sync", window)
	time.Sleep(500 * time.Millisecond) // let the window take the focus
	xdotool(ctx, t, "key", "--window", window, "--clearmodifiers", "ctrl+shift+q")
	time.Sleep(500 * time.Millisecond) // the question appears
	xdotool(ctx, t, "key", "--window", window, "Return")
}

// xdotool runs xdotool, for at most as long as ctx lasts, and returns
// what it printed.
func xdotool(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "xdotool", args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("xdotool %v failed: %v %s", args, err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// latchWindow waits for the app's window to be shown and returns its X
// window.
func latchWindow(ctx context.Context, t *testing.T) string {
	t.Helper()
	return strings.Fields(xdotool(ctx, t, "search", "--sync", "--onlyvisible", "--name", "^Latch$"))[0]
}

// waitKeychainEmpty waits up to 20 seconds for the keychain to hold no
// item of Latch, as a sign-out leaves it once the provider was told.
func waitKeychainEmpty(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for keyringtest.Items(t, latchapp.KeychainService) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the keychain still holds items of Latch 20 s after signing out, want none")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// appSignedIn starts a sandbox, signs demo in with `latch login`, and runs
// the app on that session, with extra settings in the environment of
// both; it returns the environment and the screen waiter of
// startAppLogging.
func appSignedIn(t *testing.T, extra ...string) ([]string, func(want string, limit time.Duration) string) {
	t.Helper()
	return appSignedInLogging(t, io.Discard, extra...)
}

// appSignedInLogging is appSignedIn that copies the app's log to log.
func appSignedInLogging(t *testing.T, log io.Writer, extra ...string) ([]string, func(want string, limit time.Duration) string) {
	t.Helper()
	bin := latchBinary(t)
	needDisplay(t)
	env := home(t)
	issuer, _ := startSandbox(t, env, "127.0.0.1:0")
	env = append(env, "LATCH_SANDBOX_ADDR="+strings.TrimPrefix(issuer, "http://"))
	env = append(env, extra...)
	loginNoBrowser(t, env, "demo", "demo")
	return env, startAppLogging(t, bin, env, log)
}

// startAppLogging runs the desktop app with env under the X display, as
// a person does from a terminal: `latch` (the command line) with no
// command, which hands over to latch-desktop beside it. It copies every
// line of its stderr to log, and returns a function that waits up to a
// limit for a screen line of its log.
func startAppLogging(t *testing.T, bin string, env []string, log io.Writer) func(want string, limit time.Duration) string {
	t.Helper()
	cmd := exec.Command(bin, "--verbose")
	cmd.Env = env
	return watchApp(t, cmd, log)
}

// watchApp is startAppLogging for an app started by cmd (which runs it
// with --verbose).
func watchApp(t *testing.T, cmd *exec.Cmd, log io.Writer) func(want string, limit time.Duration) string {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	screens := make(chan string, 16)
	var output syncbuf.Buffer // for a failure: why the app ended
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(log, line)
			output.WriteString(line + "\n")
			if strings.Contains(line, "msg=screen ") {
				screens <- line
			}
		}
		close(screens)
	}()
	return func(want string, limit time.Duration) string {
		t.Helper()
		deadline := time.After(limit)
		for {
			select {
			case line, ok := <-screens:
				if !ok {
					text := output.String()
					t.Fatalf("latch exited before showing %s; the end of its output:\n%s", want, text[max(0, len(text)-6000):])
				}
				if strings.Contains(line, want) {
					return line
				}
			case <-deadline:
				t.Fatalf("no %s screen within %v, want one", want, limit)
			}
		}
	}
}

// TestAppFollowsTheCommandLine runs the app beside the command line: a
// sign-out with `latch logout` shows in the running app within 2 seconds,
// and so does a sign-in with `latch login`.
func TestAppFollowsTheCommandLine(t *testing.T) {
	env, waitScreen := appSignedIn(t)
	waitScreen("screen=profile", time.Minute)

	if code, _, errOut := latch(t, env, "logout"); code != 0 {
		t.Fatalf("latch logout exit %d: %s; want 0", code, errOut)
	}
	waitScreen("screen=signin", 2*time.Second)

	loginNoBrowser(t, env, "ada", "lovelace")
	if line := waitScreen("screen=profile", 2*time.Second); !strings.Contains(line, "subject=sandbox|ada") {
		t.Fatalf("the app shows %s after latch login as ada, want subject=sandbox|ada", line)
	}
	latch(t, env, "logout")
}

// needDisplay needs an X display and the tools named, for a test of the
// app's window: without them the test is skipped (or fails under
// scripts/test, see package peers).
func needDisplay(t *testing.T, tools ...string) {
	t.Helper()
	if os.Getenv("DISPLAY") == "" {
		peers.Missing(t, "an X display", "DISPLAY is not set")
	}
	needTools(t, tools...)
}

// needTools skips the test (fails it under LATCH_REQUIRE_PEERS) when one
// of the programs is not installed.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			peers.Missing(t, tool, err.Error())
		}
	}
}

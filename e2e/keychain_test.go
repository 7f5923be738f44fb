//go:build linux

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/keyringtest"
	"github.com/latchapp/latch/internal/testing/syncbuf"
)

// A Secret Service that D-Bus can start but that never comes up is a
// missing keychain, said as such by latch status and by the app, which
// shows the sign-in screen and its choices; neither waits for the
// keychain's timeout (that would say it "did not answer").
func TestBrokenKeychainServiceIsSaidAsMissing(t *testing.T) {
	bin := latchBinary(t)
	env := append(home(t), "DBUS_SESSION_BUS_ADDRESS="+keyringtest.PrivateBus(t, "/bin/sleep 20"))
	const missing = "No system keychain is running. Start one (such as gnome-keyring or KWallet) and try again."

	code, stdout, stderr := latch(t, env, "status")
	if code != 1 || stdout != "" || stderr != "latch status: "+missing+"\n" {
		t.Errorf("latch status: exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, missing)
	}

	needDisplay(t)
	log := &syncbuf.Buffer{}
	waitScreen := startAppLogging(t, bin, env, log)
	waitScreen("screen=signin", 30*time.Second)
	if !strings.Contains(log.String(), `why="`+missing+`"`) {
		t.Errorf("the app's log:\n%s\nwant the sign-in screen shown because %q", log.String(), missing)
	}
}

// With no keychain to keep a session in, known at launch, Enter on the
// sign-in screen opens no browser: the app says so and waits for the
// person's choice (stay signed in until they quit, or try again), where
// it used to send them through a sign-in it could not keep.
func TestAKeychainKnownMissingOpensNoBrowser(t *testing.T) {
	env := append(home(t), "DBUS_SESSION_BUS_ADDRESS="+keyringtest.PrivateBus(t, "/bin/sleep 20"))
	_, opened, window := signedOutApp(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	xdotool(ctx, t, "windowfocus", "--sync", window)
	time.Sleep(500 * time.Millisecond)
	xdotool(ctx, t, "key", "--window", window, "Return")
	select {
	case u := <-opened:
		t.Fatalf("Enter with no keychain opened the browser on %s; want the keychain said first", u)
	case <-time.After(3 * time.Second):
	}
}

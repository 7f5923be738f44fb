//go:build linux

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/syncbuf"
)

// TestAppSwitchesAccounts runs the app on three accounts, with real key
// events under Xvfb: Ctrl+2 shows the second account's profile, `latch
// switch` from a terminal is seen within 2 s, and Add account… (typed
// in its dialog) says a wrong provider in the dialog, then adds the
// account and shows its sign-in screen. A picture of the window with its
// account bar is kept as an artifact.
func TestAppSwitchesAccounts(t *testing.T) {
	bin := latchBinary(t)
	needDisplay(t, "xdotool", "import")
	env, op := accountsHome(t, 0)
	loginNoBrowser(t, env, "demo", "demo")
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"], "--account", "work")
	var log syncbuf.Buffer
	waitScreen := startAppLogging(t, bin, env, &log)
	if line := waitScreen("screen=profile", time.Minute); !strings.Contains(line, "account=default") || !strings.Contains(line, "subject=sandbox|demo") {
		t.Fatalf("the app opened on %s, want demo's profile in the default account", line)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	window := latchWindow(ctx, t)

	press(t, window, "ctrl+2")
	if line := waitScreen("screen=profile", 10*time.Second); !strings.Contains(line, "account=work") || !strings.Contains(line, "subject=alice") {
		t.Fatalf("after Ctrl+2 the app shows %s, want alice's profile in work", line)
	}
	time.Sleep(time.Second) // the bar lists who is signed in to each
	if picture, err := exec.Command("import", "-window", window, "png:-").Output(); err == nil {
		_ = os.WriteFile(filepath.Join(t.ArtifactDir(), "app-accounts.png"), picture, 0o644)
	}
	if got := envValue(env, "XDG_CONFIG_HOME"); got != "" {
		if b, _ := os.ReadFile(filepath.Join(got, "latch", "active-account")); strings.TrimSpace(string(b)) != "work" {
			t.Fatalf("after Ctrl+2 the active account is %q, want work, for the command line too", b)
		}
	}

	// A switch from a terminal shows in the app within 2 s.
	if code, _, errOut := latch(t, env, "switch", "default"); code != 0 {
		t.Fatalf("latch switch default: %s", errOut)
	}
	if line := waitScreen("screen=profile", 2*time.Second); !strings.Contains(line, "account=default") {
		t.Fatalf("after latch switch default the app shows %s, want the default account", line)
	}

	// Add account…, typed as a person would: a wrong issuer is said in
	// the dialog; a right one adds the account and shows its sign-in.
	press(t, window, "ctrl+shift+n")
	typeIn := func(text string) {
		t.Helper()
		xdotool(ctx, t, "type", "--delay", "20", "--window", window, text)
	}
	time.Sleep(500 * time.Millisecond)
	typeIn("staging")
	// Past the kind of provider (any OpenID provider, by its issuer) to
	// the issuer.
	press(t, window, "Tab", "Tab")
	typeIn(op.Issuer + "/nothing-here")
	press(t, window, "Tab")
	typeIn(oidcprovider.ClientID)
	press(t, window, "Return")
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(log.String(), "account not saved"); {
		if time.Now().After(deadline) {
			t.Fatalf("the app did not say the wrong provider within 20 s; its log:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if text := log.String(); !strings.Contains(text, "cannot be used") {
		t.Fatalf("the app said the wrong provider as:\n%s\nwant that it cannot be used", text)
	}
	// Back to the provider field: select its text and type the issuer.
	press(t, window, "shift+Tab", "ctrl+a")
	typeIn(op.Issuer)
	press(t, window, "Return")
	if line := waitScreen("screen=signin", 20*time.Second); !strings.Contains(line, "account=staging") {
		t.Fatalf("after adding staging the app shows %s, want its sign-in screen", line)
	}
	if _, out, _ := latch(t, env, "accounts"); !strings.Contains(out, "* staging") {
		t.Fatalf("latch accounts after adding staging in the app:\n%s\nwant staging, active", out)
	}
}

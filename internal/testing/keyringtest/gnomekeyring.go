//go:build linux

package keyringtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// gnomeKeyringPassword only unlocks the test's throwaway keyring.
const gnomeKeyringPassword = "latch-gnome-keyring"

// StartGNOMEKeyring runs gnome-keyring as a GNOME session runs it, until
// the test ends: its login keyring unlocked, on a private D-Bus session
// where its prompter (gcr-prompter) can start and show its windows on the
// X display DISPLAY names. Once [Keeper.Lock] has locked the keyring, its
// next use asks the person for its password in an "Unlock Login Keyring"
// window, which the Keeper answers.
func StartGNOMEKeyring(t testing.TB) *Keeper {
	t.Helper()
	needDisplay(t, "gnome-keyring-daemon", "/usr/libexec/gcr-prompter")
	dir := t.TempDir()
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env = append(os.Environ(),
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_RUNTIME_DIR="+dir,
	)
	cmd.Stdin = strings.NewReader(gnomeKeyringPassword)
	return startKeeper(t, cmd, dir, &Keeper{
		// gcr-prompter is the system prompter, and a private one while
		// the system one shows another question.
		Addr: privateBus(t, map[string]string{
			"org.gnome.keyring.SystemPrompter":  "/usr/libexec/gcr-prompter",
			"org.gnome.keyring.PrivatePrompter": "/usr/libexec/gcr-prompter",
		}),
		title:    "Unlock Login Keyring",
		byOthers: true,
		// GTK takes no keys sent to a window: the person clicks into the
		// password field (below the middle of the window, on the right)
		// and types.
		answer: func(window string) error {
			if err := exec.Command("xdotool", "mousemove", "--window", window, "350", "85", "click", "1").Run(); err != nil {
				return err
			}
			if err := exec.Command("xdotool", "type", "--delay", "20", gnomeKeyringPassword).Run(); err != nil {
				return err
			}
			return exec.Command("xdotool", "key", "Return").Run()
		},
		lock: func(conn *dbus.Conn) error {
			var locked []dbus.ObjectPath
			var prompt dbus.ObjectPath
			return conn.Object(secretsName, secretsPath).Call(secretsIface+".Lock", 0, []dbus.ObjectPath{"/org/freedesktop/secrets/collection/login"}).Store(&locked, &prompt)
		},
	})
}

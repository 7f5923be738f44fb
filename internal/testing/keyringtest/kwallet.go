//go:build linux

package keyringtest

import (
	"embed"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/godbus/dbus/v5"
)

// wallet is an empty KWallet wallet, "kdewallet", made by kwalletd5's
// own wizard (classic, blowfish) with the password kwalletPassword: a
// wallet cannot be made without a person answering the wizard.
//
//go:embed kwallet
var wallet embed.FS

// kwalletPassword only opens the test's throwaway wallet.
const kwalletPassword = "kwpass12"

// kwalletSettings are those of a KDE session whose one wallet is
// kdewallet, with the Secret Service on (KDE Frameworks 5.97 and later).
const kwalletSettings = `[Wallet]
Enabled=true
First Use=false
Default Wallet=kdewallet
Use One Wallet=true

[org.freedesktop.secrets]
apiEnabled=true
`

// StartKWallet runs KWallet's daemon (kwalletd5, from Debian's
// libkf5wallet-bin) as a KDE session runs it, until the test ends: the
// Secret Service on a private D-Bus session, and its wallet closed, as
// after a login without PAM's unlocking or after the wallet's timeout.
// Its first use opens the wallet, asking the person for its password in
// its "KDE Wallet Service" window; the Keeper types it. [Keeper.Lock]
// closes the wallet again.
func StartKWallet(t testing.TB) *Keeper {
	t.Helper()
	needDisplay(t, "kwalletd5")
	dir := t.TempDir()
	data := filepath.Join(dir, "data", "kwalletd")
	for _, sub := range []string{"config", "data/kwalletd", "runtime"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config", "kwalletrc"), []byte(kwalletSettings), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kdewallet.kwl", "kdewallet.salt", "kdewallet_attributes.json"} {
		b, err := wallet.ReadFile("kwallet/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("kwalletd5")
	cmd.Env = append(os.Environ(),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_RUNTIME_DIR="+filepath.Join(dir, "runtime"),
	)
	return startKeeper(t, cmd, dir, &Keeper{
		title: "KDE Wallet Service",
		// The password field has the focus; a password typed into a
		// window answered before is replaced.
		answer: func(window string) error {
			if err := exec.Command("xdotool", "key", "--window", window, "ctrl+a", "BackSpace").Run(); err != nil {
				return err
			}
			if err := exec.Command("xdotool", "type", "--window", window, "--delay", "20", kwalletPassword).Run(); err != nil {
				return err
			}
			return exec.Command("xdotool", "key", "--window", window, "Return").Run()
		},
		lock: func(conn *dbus.Conn) error {
			return conn.Object("org.kde.kwalletd5", "/modules/kwalletd5").Call("org.kde.KWallet.closeAllWallets", 0).Err
		},
	})
}

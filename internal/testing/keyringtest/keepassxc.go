//go:build linux

package keyringtest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// keepassxcSettings are those of a person who has turned the Secret
// Service on and dismissed the questions of a first start.
const keepassxcSettings = `[General]
ConfigVersion=2
UpdateCheckMessageShown=true

[FdoSecrets]
Enabled=true
ShowNotification=false

[GUI]
CheckForUpdates=false
ShowTrayIcon=false
`

// StartKeePassXC runs KeePassXC (from Debian's keepassxc package) as a
// person runs it, until the test ends: its window on the X display
// DISPLAY names, a new database unlocked, the database's root group
// exposed to Secret Service clients, on a private D-Bus session. It asks
// the person, in its "Access Request" window, before a process uses an
// entry that another process made; its Keeper answers Allow Selected.
func StartKeePassXC(t testing.TB) *Keeper {
	t.Helper()
	needDisplay(t, "keepassxc", "keepassxc-cli")
	dir := t.TempDir()
	for _, sub := range []string{"config/keepassxc", "cache", "tmp", "runtime"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config/keepassxc/keepassxc.ini"), []byte(keepassxcSettings), 0o600); err != nil {
		t.Fatal(err)
	}
	// The database's root group, exposed through its custom data by its
	// UUID as KeePassXC writes it: braced, with dashes.
	var group [16]byte
	_, _ = rand.Read(group[:])
	braced := fmt.Sprintf("{%x-%x-%x-%x-%x}", group[0:4], group[4:6], group[6:8], group[8:10], group[10:16])
	xml := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<KeePassFile>
 <Meta>
  <Generator>latch-tests</Generator>
  <DatabaseName>latch</DatabaseName>
  <CustomData><Item><Key>FDO_SECRETS_EXPOSED_GROUP</Key><Value>` + braced + `</Value></Item></CustomData>
 </Meta>
 <Root>
  <Group><UUID>` + base64.StdEncoding.EncodeToString(group[:]) + `</UUID><Name>Root</Name></Group>
 </Root>
</KeePassFile>
`
	xmlFile, db := filepath.Join(dir, "db.xml"), filepath.Join(dir, "db.kdbx")
	if err := os.WriteFile(xmlFile, []byte(xml), 0o600); err != nil {
		t.Fatal(err)
	}
	// The password only opens this throwaway database.
	const password = "latch-test-database"
	env := append(os.Environ(),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"),
		"XDG_RUNTIME_DIR="+filepath.Join(dir, "runtime"),
		// KeePassXC runs one instance per user: a lock and a socket in
		// the temporary folder, which each test's has its own of.
		"TMPDIR="+filepath.Join(dir, "tmp"),
	)
	imp := exec.Command("keepassxc-cli", "import", "--set-password", xmlFile, db)
	imp.Env = env
	imp.Stdin = strings.NewReader(password + "\n" + password + "\n")
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("keepassxc-cli import: %v\n%s", err, out)
	}
	cmd := exec.Command("keepassxc", "--pw-stdin", db)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(password + "\n")
	return startKeeper(t, cmd, dir, &Keeper{
		title: "Access Request",
		// Allow Selected is the window's default button.
		answer: func(window string) error {
			return exec.Command("xdotool", "key", "--window", window, "Return").Run()
		},
		// KeePassXC owns the name before it has opened the database: its
		// collection is there once the default alias names it.
		ready: func(conn *dbus.Conn) bool {
			var collection dbus.ObjectPath
			err := conn.Object(secretsName, secretsPath).Call(secretsIface+".ReadAlias", 0, "default").Store(&collection)
			return err == nil && collection != "/"
		},
	})
}

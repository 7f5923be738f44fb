//go:build linux

package keyringtest

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/internal/testing/peers"
)

// KeePassXC is a KeePassXC password manager serving the Secret Service on
// a D-Bus session of its own, as a person runs it: its window on the X
// display, a database unlocked, the database's root group exposed to
// Secret Service clients. It asks the person, in its "Access Request"
// window, before a process reads an entry that another process made.
type KeePassXC struct {
	// Addr is the address of its D-Bus session.
	Addr string
	pid  int
}

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

// StartKeePassXC runs KeePassXC (from Debian's keepassxc package) on a
// private D-Bus session and the X display DISPLAY names, until the test
// ends, with a new database whose root group is what the Secret Service
// serves.
func StartKeePassXC(t testing.TB) *KeePassXC {
	t.Helper()
	if os.Getenv("DISPLAY") == "" {
		peers.Missing(t, "an X display", "DISPLAY is not set")
	}
	for _, tool := range []string{"keepassxc", "keepassxc-cli", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			peers.Missing(t, tool, err.Error())
		}
	}
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
		"QT_QPA_PLATFORM=xcb",
	)
	imp := exec.Command("keepassxc-cli", "import", "--set-password", xmlFile, db)
	imp.Env = env
	imp.Stdin = strings.NewReader(password + "\n" + password + "\n")
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("keepassxc-cli import: %v\n%s", err, out)
	}
	addr := PrivateBus(t, "")
	cmd := exec.Command("keepassxc", "--pw-stdin", db)
	cmd.Env = append(env, "DBUS_SESSION_BUS_ADDRESS="+addr)
	cmd.Stdin = strings.NewReader(password + "\n")
	log, err := os.Create(filepath.Join(dir, "keepassxc.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for range 300 {
		if owned, err := hasOwner(conn, secretsName); err == nil && owned {
			return &KeePassXC{Addr: addr, pid: cmd.Process.Pid}
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := os.ReadFile(log.Name())
	t.Fatalf("KeePassXC did not serve the Secret Service within 30 seconds; it said:\n%s", out)
	return nil
}

// Requests are KeePassXC's Access Request windows open now, by X window
// ID.
func (k *KeePassXC) Requests(t testing.TB) []string {
	t.Helper()
	out, err := exec.Command("xdotool", "search", "--all", "--pid", fmt.Sprint(k.pid), "--name", "Access Request").Output()
	if err != nil {
		// xdotool fails when it finds no window.
		return nil
	}
	return strings.Fields(string(out))
}

// WaitRequest waits up to 20 seconds for an Access Request window and
// returns it.
func (k *KeePassXC) WaitRequest(t testing.TB) string {
	t.Helper()
	for range 200 {
		if ids := k.Requests(t); len(ids) > 0 {
			return ids[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("KeePassXC showed no Access Request window within 20 seconds")
	return ""
}

// Allow answers an Access Request window as a person who chooses Allow
// Selected, its default button.
func (k *KeePassXC) Allow(t testing.TB, window string) {
	t.Helper()
	if out, err := exec.Command("xdotool", "key", "--window", window, "Return").CombinedOutput(); err != nil {
		t.Fatalf("answering KeePassXC's Access Request window: %v\n%s", err, out)
	}
}

// Keys are the keys (go-keyring's "username" attribute) of the items
// whose service attribute is service, in KeePassXC's database.
func (k *KeePassXC) Keys(t testing.TB, service string) []string {
	t.Helper()
	conn, err := dbus.Connect(k.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return keys(t, conn, service)
}

// AnswerAll answers every Access Request window as a person who chooses
// Allow Selected, until the test ends, and returns how many windows it
// answered so far. The oldest window is answered first: KeePassXC's
// dialogs are modal, so a window behind another takes no key until the
// one in front is answered.
func (k *KeePassXC) AnswerAll(t testing.TB) (answered func() int) {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]bool{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			windows := k.Requests(t)
			slices.SortFunc(windows, func(a, b string) int {
				x, _ := strconv.Atoi(a)
				y, _ := strconv.Atoi(b)
				return cmp.Compare(x, y)
			})
			if len(windows) == 0 {
				continue
			}
			// Sent again while the window stays: a key that came while
			// another was in front did nothing.
			if exec.Command("xdotool", "key", "--window", windows[0], "Return").Run() == nil {
				mu.Lock()
				seen[windows[0]] = true
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}
}

//go:build linux

package keyringtest

import (
	"cmp"
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

// Keeper is a password manager serving the Secret Service on a D-Bus
// session of its own, with its windows on the X display, as a person runs
// it (see [StartKeePassXC] and [StartKWallet]): one that asks the person
// in a window of its own, which the test may answer as the person would.
type Keeper struct {
	// Addr is the address of its D-Bus session.
	Addr string
	pid  int
	// title is the title of the windows in which it asks; answer answers
	// one as the person would. byOthers says they are another program's
	// (gnome-keyring's prompter).
	title    string
	answer   func(window string) error
	byOthers bool
	// lock locks it, as its timeout or a screen lock would.
	lock func(conn *dbus.Conn) error
	// ready, when set, says whether it serves its items yet, once it
	// owns the Secret Service's name.
	ready func(conn *dbus.Conn) bool
}

// needDisplay needs an X display, xdotool and the tools named, or ends
// the test (see package peers).
func needDisplay(t testing.TB, tools ...string) {
	t.Helper()
	if os.Getenv("DISPLAY") == "" {
		peers.Missing(t, "an X display", "DISPLAY is not set")
	}
	for _, tool := range append(tools, "xdotool") {
		if _, err := exec.LookPath(tool); err != nil {
			peers.Missing(t, tool, err.Error())
		}
	}
}

// startKeeper starts cmd, the program of k, on a private D-Bus session
// (k.Addr's, else a new one) until the test ends, its output in dir, and
// waits up to 30 seconds for it to serve the Secret Service.
func startKeeper(t testing.TB, cmd *exec.Cmd, dir string, k *Keeper) *Keeper {
	t.Helper()
	if k.Addr == "" {
		k.Addr = PrivateBus(t, "")
	}
	cmd.Env = append(cmd.Env, "DBUS_SESSION_BUS_ADDRESS="+k.Addr, "QT_QPA_PLATFORM=xcb")
	log, err := os.Create(filepath.Join(dir, "keeper.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Killed: a Qt program asking the person may not end on SIGTERM.
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	k.pid = cmd.Process.Pid
	conn, err := dbus.Connect(k.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for range 300 {
		if owned, err := hasOwner(conn, secretsName); err == nil && owned && (k.ready == nil || k.ready(conn)) {
			return k
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := os.ReadFile(log.Name())
	t.Fatalf("%s did not serve the Secret Service within 30 seconds; it said:\n%s", cmd.Path, out)
	return nil
}

// Requests are the windows in which the keeper asks the person, shown
// now, by X window ID, oldest first.
func (k *Keeper) Requests(t testing.TB) []string {
	t.Helper()
	args := []string{"search", "--all", "--onlyvisible"}
	if !k.byOthers {
		args = append(args, "--pid", fmt.Sprint(k.pid))
	}
	// The title is the search's pattern, its last argument.
	out, err := exec.Command("xdotool", append(args, "--name", k.title)...).Output()
	if err != nil {
		// xdotool fails when it finds no window.
		return nil
	}
	windows := strings.Fields(string(out))
	slices.SortFunc(windows, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return cmp.Compare(x, y)
	})
	return windows
}

// WaitRequest waits up to 20 seconds for a window in which the keeper
// asks the person, and returns it.
func (k *Keeper) WaitRequest(t testing.TB) string {
	t.Helper()
	for range 200 {
		if ids := k.Requests(t); len(ids) > 0 {
			return ids[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %q window within 20 seconds", k.title)
	return ""
}

// AnswerAll answers every window in which the keeper asks, as the person
// would, until stop is called or the test ends; stop returns how many
// windows it saw. The oldest window is answered first: the keepers'
// windows are modal, so a window behind another takes no key until the
// one in front is answered.
func (k *Keeper) AnswerAll(t testing.TB) (stop func() int) {
	t.Helper()
	seen := map[string]bool{}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-time.After(100 * time.Millisecond):
			}
			windows := k.Requests(t)
			if len(windows) == 0 {
				continue
			}
			for _, w := range windows {
				seen[w] = true
			}
			// Answered again while the window stays: keys that came while
			// another was in front did nothing.
			_ = k.answer(windows[0])
			// A window answered takes a moment to go.
			time.Sleep(300 * time.Millisecond)
		}
	}()
	stopOnce := sync.OnceValue(func() int {
		close(quit)
		<-done
		return len(seen)
	})
	t.Cleanup(func() { stopOnce() })
	return stopOnce
}

// Keys are the keys (go-keyring's "username" attribute) of the items
// whose service attribute is service, in the keeper.
func (k *Keeper) Keys(t testing.TB, service string) []string {
	t.Helper()
	conn, err := dbus.Connect(k.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return keys(t, conn, service)
}

// Lock locks the keeper, as its timeout or a screen lock does: its next
// use asks the person again.
func (k *Keeper) Lock(t testing.TB) {
	t.Helper()
	conn, err := dbus.Connect(k.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := k.lock(conn); err != nil {
		t.Fatalf("locking the keychain: %v", err)
	}
}

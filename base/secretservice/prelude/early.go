package prelude

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// early is the connection the init function made, until Open takes it.
var early struct {
	sync.Mutex
	addr string
	conn *Conn
}

// earlyCommands are the latch commands that tools run on every request
// and that read the keychain at once: worth a connection before they are
// even parsed. Another argument that happens to be one of these words
// costs one unused connection, nothing more.
var earlyCommands = []string{"token", "header", "git-credential"}

func init() {
	if startsEarly(os.Args) {
		startEarly()
	}
}

// startsEarly says whether the program whose arguments are args is the
// latch command running one of earlyCommands. Any other program that
// imports the package (the desktop app, a library user's) starts nothing.
func startsEarly(args []string) bool {
	if len(args) < 2 || strings.TrimSuffix(filepath.Base(args[0]), ".exe") != "latch" {
		return false
	}
	return slices.ContainsFunc(args[1:], func(arg string) bool { return slices.Contains(earlyCommands, arg) })
}

// startEarly dials the session bus that DBUS_SESSION_BUS_ADDRESS names,
// keeping the connection for Open; it does nothing without an address or
// when the dial fails (Open then dials, and fails, itself).
func startEarly() {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return
	}
	conn, err := Dial(addr)
	if err != nil {
		return
	}
	early.Lock()
	early.addr, early.conn = addr, conn
	early.Unlock()
}

// Open returns a connection to the bus at addr on which the prelude has
// been sent: the one the package's init function started, the first time
// it is asked for that address, else a new one from [Dial].
func Open(addr string) (*Conn, error) {
	early.Lock()
	conn := early.conn
	if conn != nil && early.addr == addr {
		early.conn = nil
		early.Unlock()
		return conn, nil
	}
	early.Unlock()
	return Dial(addr)
}

package secretservice

import (
	"context"
	"errors"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
	"github.com/latchapp/latch/base/secretservice/prelude"
)

// ErrNotFound means the Secret Service holds no such item.
var ErrNotFound = errors.New("no such item in the Secret Service")

// ErrCannotAnswer means [Read] cannot answer for sure: the item is
// locked, the bus is not one it dials (not a Unix socket, or not Linux),
// or something answered unexpectedly. The keychain library's own read,
// which unlocks, must then decide.
var ErrCannotAnswer = errors.New("the quick read cannot answer")

// idle is the read's connection between reads: a process that reads
// again (the desktop app, a renewal) reuses it, session and all.
var idle struct {
	sync.Mutex
	addr   string
	client *client
}

// Read reads the secret of the item whose attributes are service and
// username (the item that go-keyring stores for them, in the login
// collection), on the session bus that DBUS_SESSION_BUS_ADDRESS names,
// within ctx's deadline. It fails with [ErrNoSession] without a bus, a
// [*prelude.ForeignBusError] when another user's process holds the bus's
// socket, [ErrNotFound] when there is no such item, and an error wrapping
// [ErrCannotAnswer] whenever the caller's slower read must decide.
//
// go-keyring's own read connects to the bus (five exchanges before the
// first call) and then makes seven calls one after the other (list the
// collections, unlock the collection, search, open a session, unlock the
// item, read it, close the session); gnome-keyring takes about half a
// millisecond for each. An unlocked item, which is what nearly every read
// meets, needs far less: the connection is authenticated in one exchange
// (the prelude; when the latch command runs a credential-helper command,
// sent before the program has even finished initialising), then three
// calls: the search, which also tells locked items from unlocked ones,
// opening a session (kept for the connection's next reads) and the read.
// That is most of the time of a short-lived process such as `latch
// token`.
//
// The calls to gnome-keyring are made one at a time and in go-keyring's
// order, the search first: calls that a new client sends gnome-keyring at
// once, or a session it asks for first, meet a race in it that aborts the
// daemon (gnome-keyring issues 190, 196 and 199: "assertion 'client'
// failed"; see [prelude.Dial]).
func Read(ctx context.Context, service, user string) (string, error) {
	if runtime.GOOS != "linux" {
		return "", ErrCannotAnswer
	}
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		// Never the slow read without a bus: it would try to start one.
		return "", ErrNoSession
	}
	return read(ctx, addr, service, user)
}

// read is Read on the bus at addr. A connection kept from an earlier read
// is tried first, and a fresh one if that one has gone bad (the bus
// restarted, say).
func read(ctx context.Context, addr, service, user string) (string, error) {
	idle.Lock()
	c, keptFor := idle.client, idle.addr
	idle.client = nil
	idle.Unlock()
	if c != nil && keptFor != addr {
		// A connection to the bus the process used to name.
		c.close()
		c = nil
	}
	if c != nil {
		value, err := readWith(ctx, c, service, user)
		if answered(err) {
			keep(addr, c)
			return value, err
		}
		c.close()
	}
	c, err := openClient(ctx, addr)
	var foreign *prelude.ForeignBusError
	switch {
	case errors.As(err, &foreign):
		// Never the slow read either: it would dial the same socket.
		return "", err
	case err != nil:
		return "", errors.Join(ErrCannotAnswer, err)
	}
	value, err := readWith(ctx, c, service, user)
	if answered(err) {
		keep(addr, c)
	} else {
		c.close()
	}
	return value, err
}

// answered says whether a read's outcome came from the Secret Service
// (the value, not found, or locked), so that the connection is sound.
func answered(err error) bool {
	return err == nil || err == ErrCannotAnswer || err == ErrNotFound
}

// keep puts a connection that answered back for the next read, unless
// another read has put one back meanwhile.
func keep(addr string, c *client) {
	idle.Lock()
	defer idle.Unlock()
	if idle.client != nil {
		c.close()
		return
	}
	idle.addr, idle.client = addr, c
}

// loginItems is where the items of the login collection are, the one
// go-keyring writes to and deletes from when it exists.
const loginItems = "/org/freedesktop/secrets/collection/login/"

// readWith reads the item of (service, user) on one connection, within
// ctx's deadline. The Secret Service's search covers every collection and
// tells locked items from unlocked ones in one call; only an item of the
// login collection is read, where go-keyring reads, writes and deletes.
// When the search finds items elsewhere only, go-keyring decides (it uses
// the default collection where there is no login one, as KeePassXC has).
func readWith(ctx context.Context, c *client, service, user string) (string, error) {
	if err := c.until(ctx); err != nil {
		return "", errors.Join(ErrCannotAnswer, err)
	}
	unlocked, locked, err := c.searchItems(map[string]string{"username": user, "service": service})
	if err != nil {
		return "", errors.Join(ErrCannotAnswer, err)
	}
	inLogin := func(items []dbus.ObjectPath) []dbus.ObjectPath {
		return slices.DeleteFunc(items, func(p dbus.ObjectPath) bool { return !strings.HasPrefix(string(p), loginItems) })
	}
	elsewhere := len(unlocked)+len(locked) > 0
	unlocked, locked = inLogin(unlocked), inLogin(locked)
	switch {
	case len(unlocked) == 0 && len(locked) == 0 && !elsewhere:
		return "", ErrNotFound
	case len(unlocked) == 0:
		return "", ErrCannotAnswer
	}
	value, err := c.getSecret(unlocked[0])
	if err != nil {
		// An item locked or deleted since the search: the slow read
		// unlocks the one and reports the other.
		return "", errors.Join(ErrCannotAnswer, err)
	}
	return string(value), nil
}

//go:build linux

package keychain

import (
	"errors"
	"os"
	"sync"

	"github.com/zalando/go-keyring"

	"github.com/latchapp/latch/internal/sessionbus"
)

// errSlowPath means the quick read cannot answer for sure (the item is
// locked, the bus is not one the quick read dials, or something answered
// unexpectedly), so go-keyring's read, which unlocks, must.
var errSlowPath = errors.New("the quick read cannot answer")

// idle is the quick read's connection between reads: a process that
// reads again (the desktop app, a renewal) reuses it, session and all.
var idle struct {
	sync.Mutex
	addr    string
	secrets *sessionbus.Secrets
}

// readItem reads the item that go-keyring stores for (service, user).
//
// go-keyring's own read connects to the bus (five exchanges before the
// first call) and then makes seven calls one after the other (list the
// collections, unlock the collection, search, open a session, unlock the
// item, read it, close the session); gnome-keyring takes about half a
// millisecond for each. An unlocked item, which is what nearly every read
// meets, needs far less: the connection is authenticated in one exchange
// (sessionbus.Secrets; when cmd/latch runs a credential-helper command,
// sent before the program has even finished initialising), then three
// calls: the search, which also tells locked items from unlocked ones,
// opening a session (kept for the connection's next reads) and the read.
// That is most of the time of a short-lived process such as `latch
// token`. A locked item is left to go-keyring, so that how a locked
// keychain is unlocked stays as it was.
//
// The calls to gnome-keyring are made one at a time and in go-keyring's
// order, the search first: calls that a new client sends gnome-keyring at
// once, or a session it asks for first, meet a race in it that aborts the
// daemon (gnome-keyring issues 190, 196 and 199: "assertion 'client'
// failed"; see busprelude.Dial).
func readItem(service, user string) (string, error) {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		// Never go-keyring's read without a bus: it would try to start one.
		return "", sessionbus.ErrNoSession
	}
	value, err := quickRead(addr, service, user)
	if errors.Is(err, errSlowPath) {
		return keyring.Get(service, user)
	}
	return value, err
}

// quickRead is readItem's fast path on the bus at addr; it returns an
// error wrapping errSlowPath whenever go-keyring's read must decide. A
// connection kept from an earlier read is tried first, and a fresh one
// if that one has gone bad (the bus restarted, say).
func quickRead(addr, service, user string) (string, error) {
	idle.Lock()
	secrets, keptFor := idle.secrets, idle.addr
	idle.secrets = nil
	idle.Unlock()
	if secrets != nil && keptFor != addr {
		// A connection to the bus the process used to name.
		secrets.Close()
		secrets = nil
	}
	if secrets != nil {
		value, err := readWith(secrets, service, user)
		if answered(err) {
			keep(addr, secrets)
			return value, err
		}
		secrets.Close()
	}
	secrets, err := sessionbus.OpenSecrets(addr)
	if err != nil {
		return "", errors.Join(errSlowPath, err)
	}
	value, err := readWith(secrets, service, user)
	if answered(err) {
		keep(addr, secrets)
	} else {
		secrets.Close()
	}
	return value, err
}

// answered says whether a read's outcome came from the Secret Service
// (the value, not found, or locked), so that the connection is sound.
func answered(err error) bool {
	return err == nil || err == errSlowPath || errors.Is(err, keyring.ErrNotFound)
}

// keep puts a connection that answered back for the next read, unless
// another read has put one back meanwhile.
func keep(addr string, secrets *sessionbus.Secrets) {
	idle.Lock()
	defer idle.Unlock()
	if idle.secrets != nil {
		secrets.Close()
		return
	}
	idle.addr, idle.secrets = addr, secrets
}

// readWith reads the item of (service, user) on one connection. It
// searches every collection, where go-keyring searches the one it writes
// to (the login collection, else the default one): go-keyring's items are
// found alike.
func readWith(secrets *sessionbus.Secrets, service, user string) (string, error) {
	unlocked, locked, err := secrets.SearchItems(map[string]string{"username": user, "service": service})
	switch {
	case err != nil:
		return "", errors.Join(errSlowPath, err)
	case len(unlocked) == 0 && len(locked) == 0:
		return "", keyring.ErrNotFound
	case len(unlocked) == 0:
		return "", errSlowPath
	}
	value, err := secrets.GetSecret(unlocked[0])
	if err != nil {
		// An item locked or deleted since the search: go-keyring unlocks
		// the one and reports the other.
		return "", errors.Join(errSlowPath, err)
	}
	return string(value), nil
}

// Package secretservice is Latch's client of the freedesktop Secret
// Service, the keychain of a Linux desktop (gnome-keyring, KeePassXC,
// KWallet), on the D-Bus session bus. It never starts a bus: with
// DBUS_SESSION_BUS_ADDRESS unset, the D-Bus library would try to launch
// one (dbus-launch), which can hang.
//
// [Read] reads an item with as few round trips as the bus allows, or says
// it cannot answer ([ErrCannotAnswer]: the item is locked, or the bus is
// not one it dials) so that the caller's keychain library reads it the
// slow way, which unlocks. [BeforeWrite] readies the shared connection
// for that library's write; [Probe] tells whether a Secret Service exists
// at all. Its child package prelude makes the connection while a program
// initialises.
package secretservice

import (
	"errors"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"
	"github.com/latchapp/latch/base/secretservice/prelude"
)

// The Secret Service's name on the bus, its object and its interface.
const (
	serviceName  = "org.freedesktop.secrets"
	servicePath  = dbus.ObjectPath("/org/freedesktop/secrets")
	serviceIface = "org.freedesktop.Secret.Service"
)

// ErrNoSession means there is no session bus to ask.
var ErrNoSession = errors.New("no D-Bus session: DBUS_SESSION_BUS_ADDRESS is not set")

// SessionBus is the process's shared connection to the session bus (the
// D-Bus library's, on which the keychain library also writes), or an
// error wrapping [ErrNoSession] when there is none.
func SessionBus() (*dbus.Conn, error) {
	if err := CheckBus(); err != nil {
		return nil, err
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return nil, fmt.Errorf("the D-Bus session cannot be reached: %w", err)
	}
	return conn, nil
}

// CheckBus checks that the session bus is the person's own: that a
// process of this user holds the socket DBUS_SESSION_BUS_ADDRESS names
// (see [prelude.Check]). It fails with [ErrNoSession] without an address,
// and a [*prelude.ForeignBusError] for another user's socket; an address
// that is no Unix socket cannot be checked so, and passes. Call it before
// a D-Bus library dials the bus by itself (go-keyring does).
func CheckBus() error {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return ErrNoSession
	}
	// A socket that cannot be reached, the library says so itself.
	var foreign *prelude.ForeignBusError
	if err := prelude.Check(addr); errors.As(err, &foreign) {
		return err
	}
	return nil
}

// HasOwner reports whether a program owns name on the bus.
func HasOwner(conn *dbus.Conn, name string) (bool, error) {
	var owned bool
	err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned)
	return owned, err
}

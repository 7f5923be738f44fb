// Package sessionbus asks the D-Bus session bus, where a Linux desktop
// keeps its keychain (the Secret Service) and its tray host, without ever
// starting a bus: with DBUS_SESSION_BUS_ADDRESS unset, the D-Bus library
// would try to launch one (dbus-launch), which can hang. [Conn] is the
// D-Bus library's shared connection; [Secrets] is a connection of its own
// for reading the Secret Service's items quickly.
//
//	conn, err := sessionbus.Conn()
//	if err == nil {
//		owned, err := sessionbus.HasOwner(conn, "org.freedesktop.secrets")
//	}
package sessionbus

import (
	"errors"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"
)

// ErrNoSession means there is no session bus to ask.
var ErrNoSession = errors.New("no D-Bus session: DBUS_SESSION_BUS_ADDRESS is not set")

// Conn is the process's shared connection to the session bus, or an error
// wrapping [ErrNoSession] when there is none.
func Conn() (*dbus.Conn, error) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return nil, ErrNoSession
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return nil, fmt.Errorf("the D-Bus session cannot be reached: %w", err)
	}
	return conn, nil
}

// HasOwner reports whether a program owns name on the bus.
func HasOwner(conn *dbus.Conn, name string) (bool, error) {
	var owned bool
	err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned)
	return owned, err
}

//go:build linux

package session

import (
	"fmt"
	"os"
	"slices"

	"github.com/godbus/dbus/v5"
)

// secretsName is the Secret Service's name on the D-Bus session bus.
const secretsName = "org.freedesktop.secrets"

// probeKeychain reports [ErrKeychainMissing] when there is no D-Bus
// session, or no Secret Service on it that is running or can be started.
func probeKeychain() error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return fmt.Errorf("%w (no D-Bus session: DBUS_SESSION_BUS_ADDRESS is not set)", ErrKeychainMissing)
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return fmt.Errorf("%w (the D-Bus session cannot be reached: %v)", ErrKeychainMissing, err)
	}
	var owned bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned); err != nil || owned {
		return nil
	}
	var activatable []string
	if err := conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err != nil {
		return nil
	}
	if !slices.Contains(activatable, secretsName) {
		return fmt.Errorf("%w (no Secret Service such as gnome-keyring on the D-Bus session)", ErrKeychainMissing)
	}
	return nil
}

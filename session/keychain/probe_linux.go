//go:build linux

package keychain

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/internal/sessionbus"
)

// activationWait is how long a Secret Service that D-Bus can start is
// given to come up: gnome-keyring and KWallet take well under a second.
// One that never does (a broken installation) is then reported missing,
// instead of every keychain call waiting for its timeout.
const activationWait = 3 * time.Second

// probeKeychain reports [ErrMissing] when there is no D-Bus
// session, or no Secret Service on it that is running or starts.
func probeKeychain() error {
	conn, err := sessionbus.Conn()
	if err != nil {
		return fmt.Errorf("%w (%v)", ErrMissing, err)
	}
	return probeBus(conn, activationWait)
}

// probeBus is probeKeychain on one bus connection.
func probeBus(conn *dbus.Conn, wait time.Duration) error {
	if owned, err := sessionbus.HasOwner(conn, sessionbus.SecretsName); err != nil || owned {
		return nil
	}
	var activatable []string
	if err := conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err != nil {
		return nil
	}
	if !slices.Contains(activatable, sessionbus.SecretsName) {
		return fmt.Errorf("%w (no Secret Service such as gnome-keyring on the D-Bus session)", ErrMissing)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.StartServiceByName", 0, sessionbus.SecretsName, uint32(0)).Err; err != nil {
		return fmt.Errorf("%w (the Secret Service did not start: %v)", ErrMissing, err)
	}
	return nil
}

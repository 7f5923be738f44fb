package secretservice

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/base/secretservice/prelude"
)

// ErrAbsent means there is no Secret Service: no session bus, or none on
// it that is running or that the bus can start.
var ErrAbsent = errors.New("no Secret Service such as gnome-keyring")

// Probe reports an error wrapping [ErrAbsent] when there is no Secret
// Service, saying why; nil when one is running or has started within
// wait, or when the bus does not say. A Secret Service that D-Bus can
// start (gnome-keyring and KWallet take well under a second) but that
// never comes up is absent for the caller, instead of every call waiting
// for its timeout. Off Linux it reports nil.
func Probe(wait time.Duration) error {
	if runtime.GOOS != "linux" {
		return nil
	}
	conn, err := SessionBus()
	var foreign *prelude.ForeignBusError
	switch {
	case errors.As(err, &foreign):
		return nil // the call itself refuses the bus, and says why
	case err != nil:
		return fmt.Errorf("%w: %v", ErrAbsent, err)
	}
	return probe(conn, wait)
}

// probe is Probe on one bus connection.
func probe(conn *dbus.Conn, wait time.Duration) error {
	if owned, err := HasOwner(conn, serviceName); err != nil || owned {
		return nil
	}
	var activatable []string
	if err := conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err != nil {
		return nil
	}
	if !slices.Contains(activatable, serviceName) {
		return fmt.Errorf("%w on the D-Bus session", ErrAbsent)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.StartServiceByName", 0, serviceName, uint32(0)).Err; err != nil {
		return fmt.Errorf("%w: the one D-Bus can start did not start: %v", ErrAbsent, err)
	}
	return nil
}

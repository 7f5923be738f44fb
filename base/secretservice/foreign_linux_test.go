//go:build linux

package secretservice

import (
	"errors"
	"os"
	"testing"

	"github.com/latchapp/latch/base/secretservice/prelude"
	"github.com/latchapp/latch/internal/testing/keyringtest"
)

func TestMain(m *testing.M) { os.Exit(keyringtest.Main(m)) }

// On a session bus whose socket another user's process holds, the read,
// the check before go-keyring's calls and the write's first call all
// refuse, and nothing is sent: the read does not leave the bus to
// go-keyring, which would dial it.
func TestAnotherUsersBusIsNeverUsed(t *testing.T) {
	addr, received := keyringtest.ForeignBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	var foreign *prelude.ForeignBusError
	if got, err := Read(t.Context(), "latch", "k"); !errors.As(err, &foreign) || errors.Is(err, ErrCannotAnswer) {
		t.Errorf("the read gave %q, %v; want a ForeignBusError, not left to go-keyring", got, err)
	}
	if err := CheckBus(); !errors.As(err, &foreign) {
		t.Errorf("CheckBus gave %v; want a ForeignBusError", err)
	}
	if err := BeforeWrite("latch", "k"); !errors.As(err, &foreign) {
		t.Errorf("BeforeWrite gave %v; want a ForeignBusError", err)
	}
	if conn, err := SessionBus(); !errors.As(err, &foreign) {
		t.Errorf("SessionBus gave %v, %v; want a ForeignBusError", conn, err)
	}
	if n := received(); n != 0 {
		t.Errorf("the other user's process was sent %d bytes; want none", n)
	}
}

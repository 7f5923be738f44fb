//go:build linux

package keychain

import (
	"errors"
	"testing"

	"github.com/latchapp/latch/base/secretservice/prelude"
	"github.com/latchapp/latch/internal/testing/keyringtest"
	"github.com/latchapp/latch/session"
)

// The keychain refuses a session bus that another user's process holds,
// for reads, writes and deletes, and sends it nothing: the person's
// session record must never reach another user.
func TestKeychainRefusesAnotherUsersBus(t *testing.T) {
	addr, received := keyringtest.ForeignBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	k := New("latch-foreign-bus-test")
	var foreign *prelude.ForeignBusError
	if _, err := k.Get(t.Context(), "session"); !errors.As(err, &foreign) || !errors.Is(err, session.ErrKeychainUnavailable) {
		t.Errorf("Get gave %v; want a ForeignBusError, as the keychain unavailable", err)
	}
	if err := k.Set(t.Context(), "session", []byte(`{"refresh_token":"secret"}`)); !errors.As(err, &foreign) {
		t.Errorf("Set gave %v; want a ForeignBusError", err)
	}
	if err := k.Delete(t.Context(), "session"); !errors.As(err, &foreign) {
		t.Errorf("Delete gave %v; want a ForeignBusError", err)
	}
	if n := received(); n != 0 {
		t.Errorf("the other user's process was sent %d bytes; want none", n)
	}
}

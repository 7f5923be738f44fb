//go:build linux

package busprelude_test

import (
	"testing"

	"github.com/latchapp/latch/internal/busprelude"
	"github.com/latchapp/latch/internal/testing/keyringtest"
)

// StartEarly's connection is handed over once, and only for its address.
func TestEarlyIsHandedOverOnce(t *testing.T) {
	addr := keyringtest.PrivateBus(t, "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	busprelude.StartEarly()
	if c := busprelude.Early("unix:path=/elsewhere"); c != nil {
		t.Error("the early connection was handed over for another address")
	}
	c := busprelude.Early(addr)
	if c == nil {
		t.Fatal("no early connection for the session bus")
	}
	defer c.Close()
	if again := busprelude.Early(addr); again != nil {
		t.Error("the early connection was handed over twice")
	}
	// The bus answers the prelude with OK.
	buf := make([]byte, 3)
	if _, err := c.Read(buf); err != nil || string(buf) != "OK " {
		t.Errorf("the bus answered %q, %v; want \"OK \"", buf, err)
	}
}

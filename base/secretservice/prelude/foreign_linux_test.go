//go:build linux

package prelude

import (
	"errors"
	"os"
	"os/user"
	"strconv"
	"testing"

	"github.com/latchapp/latch/internal/testing/keyringtest"
)

func TestMain(m *testing.M) { os.Exit(keyringtest.Main(m)) }

// A session bus address whose socket another user's process holds (a bus
// that ended left its name to whoever took it next) is refused before
// anything is sent on it, by Dial and by Check alike.
func TestAnotherUsersBusIsRefusedBeforeAnythingIsSent(t *testing.T) {
	addr, received := keyringtest.ForeignBus(t)
	other, _ := user.Lookup(keyringtest.OtherUser)
	var foreign *ForeignBusError
	if c, err := Dial(addr); !errors.As(err, &foreign) || strconv.Itoa(foreign.UID) != other.Uid || foreign.Addr != addr {
		if c != nil {
			c.Close()
		}
		t.Errorf("Dial of another user's bus gave %v; want a ForeignBusError naming %s and uid %s", err, addr, other.Uid)
	}
	if err := Check(addr); !errors.As(err, &foreign) {
		t.Errorf("Check of another user's bus gave %v; want a ForeignBusError", err)
	}
	if n := received(); n != 0 {
		t.Errorf("the other user's process was sent %d bytes; want none", n)
	}
}

package secretservice

import (
	"errors"
	"runtime"
	"sync"

	"github.com/godbus/dbus/v5"
	"github.com/latchapp/latch/base/secretservice/prelude"
)

// introduced is the shared bus connection that has made a first call to
// the Secret Service.
var introduced struct {
	sync.Mutex
	conn *dbus.Conn
}

// BeforeWrite readies the shared bus connection (the D-Bus library's, on
// which go-keyring writes) for a write of the item of (service, user):
// go-keyring's Set asks for a session as its first call, and
// gnome-keyring aborts when a client's first call asks for a session
// before it has registered the client (see [prelude.Dial]). Since [Read]
// has a connection of its own, a process whose first call on the shared
// one is a renewal's write would otherwise meet it. So the connection
// first searches for the item, answered and forgotten; a connection that
// has done so is not asked again. It fails only with a
// [*prelude.ForeignBusError], when another user's process holds the
// bus's socket: then nothing may be written. Without a bus it does
// nothing: the write fails and says why.
func BeforeWrite(service, user string) error {
	if runtime.GOOS != "linux" {
		return nil
	}
	conn, err := SessionBus()
	var foreign *prelude.ForeignBusError
	if errors.As(err, &foreign) {
		return err
	}
	if err != nil {
		return nil
	}
	introduced.Lock()
	defer introduced.Unlock()
	if introduced.conn == conn {
		return nil
	}
	var unlocked, locked []dbus.ObjectPath
	search := conn.Object(serviceName, servicePath).Call(serviceIface+".SearchItems", 0, map[string]string{"username": user, "service": service})
	if search.Store(&unlocked, &locked) == nil {
		introduced.conn = conn
	}
	return nil
}

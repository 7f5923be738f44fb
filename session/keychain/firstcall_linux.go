//go:build linux

package keychain

import (
	"sync"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/internal/sessionbus"
)

// introduced is the shared bus connection that has made a first call to
// the Secret Service.
var introduced struct {
	sync.Mutex
	conn *dbus.Conn
}

// introduce makes sure that the bus connection go-keyring writes on (the
// D-Bus library's shared one) has asked the Secret Service something
// before go-keyring's Set, whose first call is OpenSession: gnome-keyring
// aborts when a client's first call asks for a session before it has
// registered the client (see busprelude.Dial): since the quick read has
// a connection of its own, a process whose first call on the shared one
// is a renewal's write would otherwise meet it. The call is a search for
// the item about to be written, answered and forgotten; a connection that
// has made it is not asked again.
func introduce(service, user string) {
	conn, err := sessionbus.Conn()
	if err != nil {
		return // go-keyring's Set fails and says why
	}
	introduced.Lock()
	defer introduced.Unlock()
	if introduced.conn == conn {
		return
	}
	var unlocked, locked []dbus.ObjectPath
	search := conn.Object(sessionbus.SecretsName, sessionbus.SecretsPath).Call(sessionbus.SecretsService+".SearchItems", 0, map[string]string{"username": user, "service": service})
	if search.Store(&unlocked, &locked) == nil {
		introduced.conn = conn
	}
}

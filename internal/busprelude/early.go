package busprelude

import (
	"os"
	"sync"
)

// early is the connection StartEarly made, until Early takes it.
var early struct {
	sync.Mutex
	addr string
	conn *Conn
}

// StartEarly dials the session bus that DBUS_SESSION_BUS_ADDRESS names,
// keeping the connection for [Early]; it does nothing without an address
// or when the dial fails (the reader then dials, or falls back, itself).
// A program calls it from an init function, before its other packages
// initialise.
func StartEarly() {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return
	}
	conn, err := Dial(addr)
	if err != nil {
		return
	}
	early.Lock()
	early.addr, early.conn = addr, conn
	early.Unlock()
}

// Early hands over the connection StartEarly made to addr, once; nil if
// there is none for that address.
func Early(addr string) *Conn {
	early.Lock()
	defer early.Unlock()
	conn := early.conn
	if conn == nil || early.addr != addr {
		return nil
	}
	early.conn = nil
	return conn
}

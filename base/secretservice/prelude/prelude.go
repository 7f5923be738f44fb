// Package prelude opens a connection to the D-Bus session bus without
// waiting for it: it sends the authentication and the bus's Hello in one
// write, and leaves the answers to be read when they are needed.
//
// It imports nothing but the standard library's lowest packages, so that
// Go initialises it among a program's first packages: when the program
// is the latch command run as a credential helper, its init starts the
// connection then, and a short-lived `latch token` does not wait for the
// bus at all (see [Open]). Reading the answers and everything after them
// is the job of its parent package, secretservice.
package prelude

import (
	"errors"
	"strconv"
)

// helloSerial is the serial of the Hello the prelude sends; a
// connection's calls take the serials after it.
const helloSerial = 1

// ErrUnsupported means the bus address names no Unix socket (unix:path=
// or unix:abstract=), the only kind the prelude dials; callers use a D-Bus
// library's connection instead.
var ErrUnsupported = errors.New("the session bus address names no Unix socket")

// HelloSerial is the serial of the Hello that the prelude sent on c: its
// answer is the first reply to read, and the connection's calls take the
// serials after it.
func (c *Conn) HelloSerial() uint32 { return helloSerial }

// ForeignBusError is a session bus whose socket another user's process
// holds: nothing is sent on it.
type ForeignBusError struct {
	// Addr is the bus address, as DBUS_SESSION_BUS_ADDRESS gives it.
	Addr string
	// UID is the user whose process holds the socket.
	UID int
}

// Error implements error.
func (e *ForeignBusError) Error() string {
	return "the session bus " + e.Addr + " is held by another user (uid " + strconv.Itoa(e.UID) + ")"
}

// Package busprelude opens a connection to the D-Bus session bus without
// waiting for it: it sends the authentication and the bus's Hello in one
// write, and leaves the answers to be read when they are needed.
//
// It imports nothing but the standard library's lowest packages, so that
// a program can start the connection while the rest of it initialises
// ([StartEarly] from a package's init) and a short-lived process such as
// `latch token` does not wait for the bus at all. Reading the answers and
// everything after them is the job of sessionbus.Secrets.
package busprelude

import "errors"

// The serial of the Hello the prelude sends; a connection's next call
// takes [NextSerial].
const (
	HelloSerial = 1
	NextSerial  = 2
)

// ErrUnsupported means the bus address names no Unix socket (unix:path=
// or unix:abstract=), the only kind the prelude dials; callers use a D-Bus
// library's connection instead.
var ErrUnsupported = errors.New("the session bus address names no Unix socket")

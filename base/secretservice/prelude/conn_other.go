//go:build !linux

package prelude

import "time"

// Conn is a connection to the bus on which the prelude has been sent;
// only Linux has one.
type Conn struct{}

// Dial is Linux's; elsewhere it gives [ErrUnsupported].
func Dial(addr string) (*Conn, error) { return nil, ErrUnsupported }

// Read is never called: no Conn exists here.
func (c *Conn) Read(p []byte) (int, error) { return 0, ErrUnsupported }

// Write is never called: no Conn exists here.
func (c *Conn) Write(p []byte) (int, error) { return 0, ErrUnsupported }

// Check is Linux's; elsewhere it gives [ErrUnsupported].
func Check(addr string) error { return ErrUnsupported }

// SetDeadline is never called: no Conn exists here.
func (c *Conn) SetDeadline(t time.Time) error { return ErrUnsupported }

// Close is never called: no Conn exists here.
func (c *Conn) Close() error { return nil }

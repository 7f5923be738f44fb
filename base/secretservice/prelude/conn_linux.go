//go:build linux

package prelude

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ioTimeout bounds each read and write on the socket, so that a bus that
// stops answering fails the read instead of holding it for ever.
const ioTimeout = 30 * time.Second

// Conn is a connection to the bus on which the prelude has been sent. It
// is a blocking Unix socket; Read and Write retry where the system call
// was interrupted, and return the system's errors for the caller to say
// what it was doing.
type Conn struct {
	fd        int
	closeOnce sync.Once
}

// Dial connects to the bus at addr (a D-Bus address, as
// DBUS_SESSION_BUS_ADDRESS holds) and sends the prelude: the EXTERNAL
// authentication as this process's user, BEGIN and Hello. The answers are
// not read. An address that names no Unix socket gives [ErrUnsupported];
// a socket that another user's process holds, a [*ForeignBusError],
// before anything is sent on it.
//
// Nothing is sent to the Secret Service: gnome-keyring registers a new
// client while it answers the client's first call, and a session opened
// before that is done aborts it (GLib: "g_variant_new: expected GVariant
// of type 'v'"), so a connection's first call to it must be sent alone,
// and not be OpenSession.
func Dial(addr string) (*Conn, error) {
	fd, err := connect(addr)
	if err != nil {
		return nil, err
	}
	c := &Conn{fd: fd}
	if err := checkPeer(fd, addr); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := c.Write(prelude(os.Geteuid())); err != nil {
		c.Close()
		return nil, fmt.Errorf("writing to the session bus: %w", err)
	}
	return c, nil
}

// prelude is what Dial sends: a NUL byte, the authentication lines and
// Hello, which the bus reads once it has accepted BEGIN.
func prelude(uid int) []byte {
	b := []byte("\x00AUTH EXTERNAL " + hex.EncodeToString([]byte(strconv.Itoa(uid))) + "\r\nBEGIN\r\n")
	return methodCall(b, helloSerial, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello")
}

// Read reads from the bus; the end of the connection is io.EOF.
func (c *Conn) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(c.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Write writes all of p to the bus.
func (c *Conn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := syscall.Write(c.fd, p[written:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

// Close closes the connection (which ends any Secret Service session
// opened on it). Only the first call closes.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() { err = syscall.Close(c.fd) })
	return err
}

// checkPeer refuses a socket whose other end is not a process of this
// user (SO_PEERCRED): a bus that ended leaves its address to whoever binds
// it next, an abstract name or a path in a shared folder alike.
func checkPeer(fd int, addr string) error {
	cred, err := syscall.GetsockoptUcred(fd, syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	if err != nil {
		return fmt.Errorf("reading who holds the session bus: %w", err)
	}
	if int(cred.Uid) != os.Geteuid() {
		return &ForeignBusError{Addr: addr, UID: int(cred.Uid)}
	}
	return nil
}

// Check connects to the bus at addr and checks that a process of this
// user holds it, sending nothing: for a D-Bus library that dials the bus
// itself. It gives [ErrUnsupported] for an address that names no Unix
// socket, and a [*ForeignBusError] for another user's.
func Check(addr string) error {
	fd, err := connect(addr)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	return checkPeer(fd, addr)
}

// connect opens a blocking socket to the bus at addr, each read and write
// on it bounded by ioTimeout.
func connect(addr string) (int, error) {
	path, err := socketPath(addr)
	if err != nil {
		return -1, err
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening a socket for the session bus: %w", err)
	}
	if err := setTimeouts(fd, ioTimeout); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("setting the session bus socket's timeout: %w", err)
	}
	for {
		err = syscall.Connect(fd, &syscall.SockaddrUnix{Name: path})
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("connecting to the session bus: %w", err)
	}
	return fd, nil
}

// setTimeouts bounds each read and write on fd by d.
func setTimeouts(fd int, d time.Duration) error {
	tv := syscall.NsecToTimeval(d.Nanoseconds())
	for _, opt := range []int{syscall.SO_RCVTIMEO, syscall.SO_SNDTIMEO} {
		if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, opt, &tv); err != nil {
			return err
		}
	}
	return nil
}

// SetDeadline bounds the reads and writes on c that start before t: each
// then fails, at the latest, when t has passed. The zero time restores
// the connection's own bound of 30 seconds for each.
func (c *Conn) SetDeadline(t time.Time) error {
	d := ioTimeout
	if !t.IsZero() {
		d = max(time.Until(t), time.Millisecond)
	}
	return setTimeouts(c.fd, d)
}

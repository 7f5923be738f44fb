//go:build unix

package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// SocketPath is the agent's socket in dir.
func SocketPath(dir string) string { return filepath.Join(dir, "agent.sock") }

// listen makes the socket at path, readable and writable by the person
// alone, in place of one an agent that was killed left.
func listen(path string) (net.Listener, error) {
	_ = os.Remove(path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// dial connects to the socket at path, once it is known to be a socket
// in a folder of the person's alone.
func dial(ctx context.Context, path string) (net.Conn, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Type() != os.ModeSocket {
		return nil, fmt.Errorf("%s is not a socket", path)
	}
	if err := privateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, "unix", path)
}

// clientIsThePerson checks that the process at the other end of c, a
// connection the agent accepted, runs as the person.
func clientIsThePerson(c net.Conn) error { return peerIsThePerson(c) }

// serverIsThePerson checks that the agent at the other end of c runs as
// the person.
func serverIsThePerson(c net.Conn) error { return peerIsThePerson(c) }

// peerIsThePerson checks that the kernel names this process's user as
// the user at the other end of c.
func peerIsThePerson(c net.Conn) error {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return errors.New("not a Unix socket")
	}
	uid, ok := peerUID(uc)
	switch {
	case !ok:
		return errors.New("the kernel does not say who the peer is")
	case uid != os.Geteuid():
		return fmt.Errorf("the peer runs as uid %d", uid)
	}
	return nil
}

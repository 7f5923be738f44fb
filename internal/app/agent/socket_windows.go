package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// On Windows the agent listens on a named pipe, written on
// golang.org/x/sys/windows and Go's own poller: go-winio's pipes never
// connect under Wine 8, where Latch's Windows programs are tested.

// SocketPath is the agent's named pipe, \\.\pipe\latch-agent-SID with the
// person's security identifier; dir holds only the agent's lock.
func SocketPath(string) string {
	sid, err := ownSID()
	if err != nil {
		return `\\.\pipe\latch-agent`
	}
	return `\\.\pipe\latch-agent-` + sid.String()
}

// ownSID is the security identifier of the user this process runs as.
func ownSID() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, err
	}
	return u.User.Sid, nil
}

// pipeAddr is a named pipe's address.
type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }

// pipeListener makes an instance of the pipe for each client.
type pipeListener struct {
	path   string
	sa     *windows.SecurityAttributes
	closed windows.Handle // an event, set by Close

	mu   sync.Mutex
	next windows.Handle // the instance the next client connects to
	done bool
}

// listen makes the named pipe at path, whose access list (protected
// from inheritance) admits the person's security identifier alone. It
// must be the pipe's first instance: a pipe of that name made before, by
// anyone, is refused rather than joined.
func listen(path string) (net.Listener, error) {
	sid, err := ownSID()
	if err != nil {
		return nil, err
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;;GA;;;" + sid.String() + ")")
	if err != nil {
		return nil, err
	}
	sa := &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
	closed, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return nil, err
	}
	l := &pipeListener{path: path, sa: sa, closed: closed}
	if l.next, err = l.instance(windows.FILE_FLAG_FIRST_PIPE_INSTANCE); err != nil {
		windows.CloseHandle(closed)
		return nil, err
	}
	return l, nil
}

// instance makes an instance of the pipe, for overlapped I/O.
func (l *pipeListener) instance(flags uint32) (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString(l.path)
	if err != nil {
		return 0, err
	}
	return windows.CreateNamedPipe(name, windows.PIPE_ACCESS_DUPLEX|windows.FILE_FLAG_OVERLAPPED|flags,
		windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT|windows.PIPE_REJECT_REMOTE_CLIENTS,
		windows.PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, l.sa)
}

// Accept waits for a client on the next instance, and makes the one
// after.
func (l *pipeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	h, done := l.next, l.done
	l.next = 0
	l.mu.Unlock()
	if done {
		return nil, net.ErrClosed
	}
	if h == 0 {
		var err error
		if h, err = l.instance(0); err != nil {
			return nil, err
		}
	}
	if err := l.connect(h); err != nil {
		windows.CloseHandle(h)
		return nil, err
	}
	return &pipeConn{File: os.NewFile(uintptr(h), l.path), h: h, addr: pipeAddr(l.path)}, nil
}

// connect waits until a client connects to the instance h, or the
// listener is closed.
func (l *pipeListener) connect(h windows.Handle) error {
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(ev)
	ov := windows.Overlapped{HEvent: ev}
	switch err := windows.ConnectNamedPipe(h, &ov); err {
	case nil, windows.ERROR_PIPE_CONNECTED:
		return nil
	case windows.ERROR_IO_PENDING:
	default:
		return err
	}
	which, err := windows.WaitForMultipleObjects([]windows.Handle{ev, l.closed}, false, windows.INFINITE)
	if err != nil {
		return err
	}
	if which != windows.WAIT_OBJECT_0 {
		_ = windows.CancelIoEx(h, &ov)
		var n uint32
		_ = windows.GetOverlappedResult(h, &ov, &n, true)
		return net.ErrClosed
	}
	var n uint32
	return windows.GetOverlappedResult(h, &ov, &n, false)
}

// Close stops Accept and frees the instance waiting.
func (l *pipeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil
	}
	l.done = true
	if l.next != 0 {
		windows.CloseHandle(l.next)
		l.next = 0
	}
	return windows.SetEvent(l.closed)
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.path) }

// pipeConn is one client's instance of the pipe, on Go's poller.
type pipeConn struct {
	*os.File
	h    windows.Handle
	addr pipeAddr
}

func (c *pipeConn) LocalAddr() net.Addr  { return c.addr }
func (c *pipeConn) RemoteAddr() net.Addr { return c.addr }

// dial connects to the named pipe at path, waiting while every instance
// is busy.
func dial(ctx context.Context, path string) (net.Conn, error) {
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	for {
		// SECURITY_IDENTIFICATION: the agent may learn who connects, and
		// not act as them.
		h, err := windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING,
			windows.FILE_FLAG_OVERLAPPED|windows.SECURITY_SQOS_PRESENT|windows.SECURITY_IDENTIFICATION, 0)
		if err == nil {
			return &pipeConn{File: os.NewFile(uintptr(h), path), h: h, addr: pipeAddr(path)}, nil
		}
		if !errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return nil, err
		}
		if err := pause(ctx, 5*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// clientIsThePerson checks that the process at the other end of c, a
// connection the agent accepted, runs as the person.
func clientIsThePerson(c net.Conn) error {
	return pipePeerIsThePerson(c, windows.GetNamedPipeClientProcessId)
}

// serverIsThePerson checks that the agent at the other end of c runs as
// the person.
func serverIsThePerson(c net.Conn) error {
	return pipePeerIsThePerson(c, windows.GetNamedPipeServerProcessId)
}

// pipePeerIsThePerson checks that the process that peerPID names at the
// other end of the pipe c runs as this process's user.
func pipePeerIsThePerson(c net.Conn, peerPID func(windows.Handle, *uint32) error) error {
	pc, ok := c.(*pipeConn)
	if !ok {
		return errors.New("not a named pipe")
	}
	var pid uint32
	if err := peerPID(pc.h, &pid); err != nil {
		return fmt.Errorf("the pipe's peer process: %w", err)
	}
	p, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return fmt.Errorf("opening the peer process %d: %w", pid, err)
	}
	defer windows.CloseHandle(p)
	var tok windows.Token
	if err := windows.OpenProcessToken(p, windows.TOKEN_QUERY, &tok); err != nil {
		return fmt.Errorf("the token of the peer process %d: %w", pid, err)
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return fmt.Errorf("the user of the peer process %d: %w", pid, err)
	}
	own, err := ownSID()
	if err != nil {
		return err
	}
	if !u.User.Sid.Equals(own) {
		return fmt.Errorf("the peer process %d runs as %s", pid, u.User.Sid)
	}
	return nil
}

package agent

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerUID is the user of the process at the other end of c, as the kernel
// tells it (LOCAL_PEERCRED, which getpeereid reads); ok is false when it
// cannot be told.
func peerUID(c *net.UnixConn) (uid int, ok bool) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var cred *unix.Xucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	}); err != nil || credErr != nil {
		return 0, false
	}
	return int(cred.Uid), true
}

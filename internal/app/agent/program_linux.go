package agent

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// peerProgram is the process at the other end of c and the one that
// started it, as /proc tells them.
func peerProgram(c net.Conn) Program {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Program{}
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Program{}
	}
	var cred *unix.Ucred
	if err := raw.Control(func(fd uintptr) {
		cred, _ = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || cred == nil {
		return Program{}
	}
	p := describeProcess(int(cred.Pid))
	if ppid := parentPID(p.PID); ppid > 1 {
		parent := describeProcess(ppid)
		p.RunBy = &parent
	}
	return p
}

// describeProcess reads what /proc says of the process pid.
func describeProcess(pid int) Program {
	p := Program{PID: pid}
	dir := "/proc/" + strconv.Itoa(pid)
	p.Path, _ = os.Readlink(dir + "/exe")
	if cmdline, err := os.ReadFile(dir + "/cmdline"); err == nil {
		for arg := range bytes.SplitSeq(bytes.TrimSuffix(cmdline, []byte{0}), []byte{0}) {
			p.Args = append(p.Args, string(arg))
		}
	}
	return p
}

// parentPID is the parent of the process pid, or 0 when it cannot be
// read. The command's name in /proc/PID/stat may hold spaces and
// parentheses: the fields are counted from its last ')'.
func parentPID(pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

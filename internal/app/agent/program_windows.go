package agent

import (
	"net"
	"unsafe"

	"golang.org/x/sys/windows"
)

// peerProgram is the process at the other end of the pipe c and the one
// that started it, as Windows tells them: their executables. A process's
// command line is not read (it lives in the other process's memory).
func peerProgram(c net.Conn) Program {
	pc, ok := c.(*pipeConn)
	if !ok {
		return Program{}
	}
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(pc.h, &pid); err != nil {
		return Program{}
	}
	p := Program{PID: int(pid), Path: executable(pid)}
	if ppid := parentPID(pid); ppid != 0 {
		p.RunBy = &Program{PID: int(ppid), Path: executable(ppid)}
	}
	return p
}

// executable is the path of the program the process pid runs, or empty.
func executable(pid uint32) string {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return ""
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &n); err != nil {
		return ""
	}
	return windows.UTF16ToString(buf[:n])
}

// parentPID is the parent of the process pid, from a snapshot of the
// system's processes; 0 when it is not found.
func parentPID(pid uint32) uint32 {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return 0
	}
	defer windows.CloseHandle(snap)
	e := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err := windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		if e.ProcessID == pid {
			return e.ParentProcessID
		}
	}
	return 0
}

//go:build linux || darwin || windows

package agent

// supported says the agent runs here: the system tells who is at the
// other end of its socket (the kernel's peer credentials; on Windows,
// the named pipe's peer process and its token).
const supported = true

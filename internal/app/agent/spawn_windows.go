package agent

import "syscall"

// detached starts an agent without a console of its own.
func detached() *syscall.SysProcAttr {
	const detachedProcess = 0x00000008
	return &syscall.SysProcAttr{CreationFlags: detachedProcess}
}

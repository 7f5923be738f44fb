//go:build unix

package agent

import "syscall"

// detached puts a started agent in a session of its own.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

package agent

import (
	"path/filepath"
	"strings"
)

// Program is a process that asked the agent for a token, as the system
// tells it (never as the process says of itself): what the person is
// shown before a token that needs confirming leaves.
type Program struct {
	PID int `json:"pid"`
	// Path is the program's executable; empty where the system does not
	// say.
	Path string `json:"path,omitempty"`
	// Args is its command line, as the process may have rewritten it:
	// shown, never trusted.
	Args []string `json:"args,omitempty"`
	// RunBy is the process that started it (kubectl, git, a shell),
	// when known.
	RunBy *Program `json:"run_by,omitempty"`
}

// Name is the program's file name, or "an unknown program".
func (p Program) Name() string {
	if p.Path == "" {
		return "an unknown program"
	}
	return filepath.Base(p.Path)
}

// CommandLine is the program's command line, its arguments separated by
// spaces as they came (escape it before showing it).
func (p Program) CommandLine() string { return strings.Join(p.Args, " ") }

// key names the program for an allowance: its executable and the one of
// the process that started it (kubectl, when kubectl runs latch token).
// A program whose executable is not known has no key, and is never
// allowed for a while.
func (p Program) key() string {
	if p.Path == "" {
		return ""
	}
	k := p.Path
	if p.RunBy != nil {
		k += "\x00" + p.RunBy.Path
	}
	return k
}

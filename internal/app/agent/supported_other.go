//go:build !linux && !darwin

package agent

// supported says the agent runs here: not yet, where the kernel cannot
// be asked who is at the other end of its socket (Windows needs a named
// pipe with its own access list).
const supported = false

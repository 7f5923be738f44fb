//go:build !linux && !darwin && !windows

package agent

// supported says the agent runs here: not where the system cannot be
// asked who is at the other end of its socket.
const supported = false

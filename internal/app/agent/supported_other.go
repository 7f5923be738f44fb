//go:build !linux && !darwin

package agent

// supported says the agent runs here: not yet where the kernel cannot be
// asked who is at the other end of its socket, nor on Windows (see
// SocketPath).
const supported = false

//go:build linux || darwin

package agent

// supported says the agent runs here: the kernel tells who is at the
// other end of its socket.
const supported = true

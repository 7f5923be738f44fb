// Package earlybus starts the keychain's connection to the session bus
// while the command line initialises, for the commands that tools run on
// every request (token, header, git-credential): by the time the command
// reads the keychain, the bus has authenticated it and answered Hello. It
// imports nothing heavier than the standard
// library's lowest packages (through busprelude), so that Go initialises
// it among the first; cmd/latch imports it for that effect alone.
package earlybus

import (
	"os"
	"slices"

	"github.com/latchapp/latch/internal/busprelude"
)

// hot are the commands worth a connection before they are even parsed.
// Another argument that happens to be one of these words costs one
// unused connection, nothing more.
var hot = []string{"token", "header", "git-credential"}

func init() {
	if slices.ContainsFunc(os.Args[1:], func(arg string) bool { return slices.Contains(hot, arg) }) {
		busprelude.StartEarly()
	}
}

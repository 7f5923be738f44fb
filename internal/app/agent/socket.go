package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/latchapp/latch/base/filelock"
)

// Files in the agent's folder.
const (
	socketName = "agent.sock"
	// lockName is held by the running agent: one agent a person.
	lockName = "agent.lock"
)

// Dir is the folder of the person's agent: latch in $XDG_RUNTIME_DIR
// (getenv reads it), else latch-UID in the temporary folder. It is made
// private when used; see [Listen].
func Dir(getenv func(string) string) string {
	if d := getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "latch")
	}
	return filepath.Join(os.TempDir(), "latch-"+strconv.Itoa(os.Geteuid()))
}

// SocketPath is the agent's socket in dir.
func SocketPath(dir string) string { return filepath.Join(dir, socketName) }

// privateDir makes dir when missing and checks that it is the person's
// alone (see [filelock.MkdirPrivate]).
func privateDir(dir string) error {
	if err := filelock.MkdirPrivate(dir); err != nil {
		return fmt.Errorf("the agent's folder %s cannot be used: %w", dir, err)
	}
	return nil
}

package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/latchapp/latch/base/filelock"
)

// Files in the agent's folder.
const (
	// lockName is held by the running agent: one agent a person.
	lockName = "agent.lock"
)

// Dir is the folder of the person's agent: latch in $XDG_RUNTIME_DIR
// (getenv reads it), else latch-UID in the temporary folder; on Windows,
// latch in the local application data folder (the named pipe is
// elsewhere, see [SocketPath]). It is made private when used; see
// [Listen].
func Dir(getenv func(string) string) string {
	if runtime.GOOS == "windows" {
		if d, err := os.UserCacheDir(); err == nil {
			return filepath.Join(d, "latch")
		}
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "latch")
	}
	return filepath.Join(os.TempDir(), "latch-"+strconv.Itoa(os.Geteuid()))
}

// privateDir makes dir when missing and checks that it is the person's
// alone (see [filelock.MkdirPrivate]).
func privateDir(dir string) error {
	if err := filelock.MkdirPrivate(dir); err != nil {
		return fmt.Errorf("the agent's folder %s cannot be used: %w", dir, err)
	}
	return nil
}

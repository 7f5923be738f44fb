package agent

import (
	"os"
	"os/exec"
	"path/filepath"
)

// maxLog is the size past which the agent's log starts again empty.
const maxLog = 1 << 20

// LogPath is the headless agent's log: agent.log in Latch's cache folder.
func LogPath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "latch", "agent.log")
}

// Spawn starts exe with args as a headless agent in the background: in a
// session of its own (a terminal's hang-up or Ctrl-C does not reach it),
// reading nothing, its output appended to [LogPath]. It does not wait for
// it.
func Spawn(exe string, args ...string) error {
	path := LogPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if info, err := os.Stat(path); err == nil && info.Size() > maxLog {
		flags |= os.O_TRUNC
	}
	log, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = log, log
	Detach(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}

// Detach has cmd start in a session of its own (on Windows, without a
// console of its own): a terminal's hang-up or Ctrl-C, or the end of the
// process that started it, does not reach it.
func Detach(cmd *exec.Cmd) { cmd.SysProcAttr = detached() }

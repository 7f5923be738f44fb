package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// DesktopName is the desktop app's executable (with ".exe" on Windows),
// which the command-line build of latch (cmd/latch, without Fyne) starts
// for `latch` with no command.
const DesktopName = "latch-desktop"

// ErrNoDesktop is returned by [OpenDesktop] when the desktop app is
// neither beside this executable nor on PATH.
var ErrNoDesktop = errors.New("the desktop app is not installed")

// OpenDesktop hands over to the desktop app: the latch-desktop executable
// beside this one, else the one on PATH, with the same arguments and
// environment. On Unix it takes this process's place; elsewhere it runs
// the app and returns when it quits. It is [Env.Desktop] for the
// command-line build.
func OpenDesktop(ctx context.Context, args []string) error {
	path, err := findDesktop(os.Executable, exec.LookPath)
	if err != nil {
		return err
	}
	return handOver(ctx, path, args)
}

// findDesktop finds the desktop app: beside the running executable (its
// symbolic links resolved, as a package installs them), then on PATH.
func findDesktop(self func() (string, error), lookPath func(string) (string, error)) (string, error) {
	name := DesktopName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe, err := self(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		beside := filepath.Join(filepath.Dir(exe), name)
		if fi, err := os.Stat(beside); err == nil && fi.Mode().IsRegular() {
			return beside, nil
		}
	}
	if path, err := lookPath(DesktopName); err == nil {
		return path, nil
	}
	return "", ErrNoDesktop
}

// saidExit is an exit status whose reason has been said already: by a
// child that did the command's work (the desktop app, where not on Unix;
// a renewal finished in a detached process), or by the command itself,
// line by line (latch logout --all). latch only passes the status on.
type saidExit struct{ code int }

func (e saidExit) Error() string {
	return fmt.Sprintf("exit status %d, its reason said", e.code)
}

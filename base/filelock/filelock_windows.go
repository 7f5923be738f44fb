//go:build windows

package filelock

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// OpenPrivate opens path; the folder is the user's own (see
// checkPrivate).
func OpenPrivate(path string, flag int) (*os.File, error) {
	return os.OpenFile(path, flag, 0o600)
}

// checkPrivate checks that dir is a folder: on Windows the user's cache
// folder is private by its ACL.
func checkPrivate(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%w: %s is not a folder", ErrNotPrivate, dir)
	}
	return nil
}

// openNonblock: Windows has no FIFO in the file system to wait on.
const openNonblock = 0

// checkOwnFile reports ErrNotPrivate unless info, of path, is a regular
// file (not a link); the folder's ACL makes it the user's.
func checkOwnFile(path string, info os.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrNotPrivate, path)
	}
	return nil
}

func tryLockFile(f *os.File) (bool, error) {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return false, nil
	}
	return err == nil, err
}

func unlockFile(f *os.File) {
	ol := new(windows.Overlapped)
	_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
}

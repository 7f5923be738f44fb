//go:build unix

package filelock

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// OpenPrivate opens path without following a link planted there.
func OpenPrivate(path string, flag int) (*os.File, error) {
	return os.OpenFile(path, flag|syscall.O_NOFOLLOW, 0o600)
}

// checkPrivate reports ErrNotPrivate unless dir is a real folder
// (not a link), owned by this user, that group and others cannot write.
func checkPrivate(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case !info.IsDir():
		return fmt.Errorf("%w: %s is not a folder", ErrNotPrivate, dir)
	case ok && int(st.Uid) != os.Geteuid():
		return fmt.Errorf("%w: %s belongs to another user", ErrNotPrivate, dir)
	case info.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%w: others may write to %s", ErrNotPrivate, dir)
	}
	return nil
}

// openNonblock opens a FIFO without waiting for a writer.
const openNonblock = syscall.O_NONBLOCK

// checkOwnFile reports ErrNotPrivate unless info, of path, is a regular
// file (not a link) owned by this user.
func checkOwnFile(path string, info os.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case !info.Mode().IsRegular():
		return fmt.Errorf("%w: %s is not a regular file", ErrNotPrivate, path)
	case ok && int(st.Uid) != os.Geteuid():
		return fmt.Errorf("%w: %s belongs to another user", ErrNotPrivate, path)
	}
	return nil
}

func tryLockFile(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

func unlockFile(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// Package filelock is an exclusive lock on a file shared by every process
// of the person that opens the same path, in a folder that must be the
// person's alone: the session's renewal lock, and the turn Latch's
// processes take to ask the keychain something.
package filelock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ErrNotPrivate means the folder of a lock is not the person's alone:
// another local user could block it or plant links there.
var ErrNotPrivate = errors.New("the lock folder is not private")

// Lock is a held lock; Release frees it.
type Lock struct {
	f *os.File
}

// pollInterval is how often a blocked lock is tried again.
const pollInterval = 20 * time.Millisecond

// Acquire takes the lock at path, waiting until it is free or ctx ends;
// waiting, when not nil, is called once if another process holds it at
// first. The folder is made when missing and must be private (see
// [MkdirPrivate]); a link planted at path is not followed. The file holds
// nothing; only its lock matters.
func Acquire(ctx context.Context, path string, waiting func()) (*Lock, error) {
	if err := MkdirPrivate(filepath.Dir(path)); err != nil {
		return nil, err
	}
	f, err := OpenPrivate(path, os.O_CREATE|os.O_RDWR)
	if err != nil {
		return nil, err
	}
	for first := true; ; first = false {
		ok, err := tryLockFile(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		if ok {
			return &Lock{f: f}, nil
		}
		if first && waiting != nil {
			waiting()
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another process: %w", ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// Release frees the lock.
func (l *Lock) Release() {
	unlockFile(l.f)
	l.f.Close()
}

// MkdirPrivate makes dir, readable by its owner only, when it is missing,
// and checks that it is a folder of this user's that no one else may
// write to; otherwise the error wraps [ErrNotPrivate].
func MkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return checkPrivate(dir)
}

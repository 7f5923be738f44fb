package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// fileLock is an exclusive lock on a file, shared by every process that
// opens the same path: the renewal lock across processes.
type fileLock struct {
	f *os.File
}

// lockPollInterval is how often a blocked lock is tried again.
const lockPollInterval = 20 * time.Millisecond

// acquireFileLock takes the lock at path, waiting until it is free or ctx
// ends. The file holds nothing; only its lock matters.
func acquireFileLock(ctx context.Context, path string) (*fileLock, error) {
	if err := mkdirPrivate(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("renewal lock: %w", err)
	}
	f, err := openPrivate(path, os.O_CREATE|os.O_RDWR)
	if err != nil {
		return nil, fmt.Errorf("renewal lock: %w", err)
	}
	for {
		ok, err := tryLockFile(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("renewal lock: %w", err)
		}
		if ok {
			return &fileLock{f: f}, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("renewal lock: waiting for another process: %w", ctx.Err())
		case <-time.After(lockPollInterval):
		}
	}
}

// release frees the lock.
func (l *fileLock) release() {
	unlockFile(l.f)
	l.f.Close()
}

// errLockDirNotPrivate means the folder of the lock and generation files
// is not this user's alone: another local user could block renewals or
// plant links there.
var errLockDirNotPrivate = errors.New("the lock folder is not private")

// mkdirPrivate makes dir, readable by its owner only, when it is missing,
// and checks that it is a folder of this user's that no one else may
// write to (see checkPrivate).
func mkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return checkPrivate(dir)
}

package secretservice

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/latchapp/latch/base/filelock"
)

// turnFile is the lock by which the person's processes take turns.
const turnFile = "latch-secret-service.lock"

// takeTurn waits, until ctx ends, for this process's turn among the
// person's processes to put questions to the Secret Service, and returns
// the lock that holds it. KeePassXC (2.7) loses the answer when two
// Access Request windows are open at once: a person who answers one
// finds both processes still waiting. waiting is called once when
// another process's turn is not over at first. The lock is in
// $XDG_RUNTIME_DIR when that folder is the person's alone, else in their
// cache folder.
func takeTurn(ctx context.Context, waiting func()) (*filelock.Lock, error) {
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		l, err := filelock.Acquire(ctx, filepath.Join(dir, turnFile), waiting)
		if !errors.Is(err, filelock.ErrNotPrivate) {
			return l, wrapTurn(err)
		}
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil, wrapTurn(err)
	}
	l, err := filelock.Acquire(ctx, filepath.Join(dir, turnFile), waiting)
	return l, wrapTurn(err)
}

// wrapTurn says what a failure to take a turn was about.
func wrapTurn(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("taking a turn to ask the keychain: %w", err)
}

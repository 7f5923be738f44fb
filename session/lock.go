package session

import (
	"context"
	"fmt"

	"github.com/latchapp/latch/base/filelock"
)

// acquireFileLock takes the renewal lock across processes at path,
// waiting until it is free or ctx ends (see [filelock.Acquire]).
func acquireFileLock(ctx context.Context, path string) (*filelock.Lock, error) {
	l, err := filelock.Acquire(ctx, path, nil)
	if err != nil {
		return nil, fmt.Errorf("renewal lock: %w", err)
	}
	return l, nil
}

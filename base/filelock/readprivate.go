package filelock

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrTooLarge is returned by [ReadPrivate] for a file longer than asked.
var ErrTooLarge = errors.New("the file is longer than it may be")

// ReadPrivate reads a small file of the person's own, at most limit
// bytes: a regular file (not a link, a FIFO or a device), owned by this
// user, in a folder that no one else may write to (as [MkdirPrivate]
// checks). Anything else is refused without reading it (the error wraps
// [ErrNotPrivate], or [ErrTooLarge]): its content is never read into an
// error. A missing file is an error that wraps os.ErrNotExist.
func ReadPrivate(path string, limit int) ([]byte, error) {
	if err := checkPrivate(filepath.Dir(path)); err != nil {
		return nil, err
	}
	info, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := checkOwnFile(path, info); err != nil {
		return nil, err
	}
	// Not following a link, and not waiting on a FIFO put there since.
	f, err := OpenPrivate(path, os.O_RDONLY|openNonblock)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := checkOwnFile(path, info); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%w: %s holds more than %d bytes", ErrTooLarge, path, limit)
	}
	return b, nil
}

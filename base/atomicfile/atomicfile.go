// Package atomicfile writes files so that a reader, or the next start after
// a crash, sees either the old content or the new, never a mix.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// Write replaces the file at path with data: it writes a temporary file in
// the same folder with permissions perm, syncs it and renames it over
// path. Missing folders are made with mode 0700.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteThrough is Write for a file the person may keep as a symbolic link
// (a kubeconfig or a config file in a dotfiles folder): when path is a
// link, the file it points to is replaced, atomically, and the link
// stays, as kubectl writes through one; a link to a file not there yet
// makes that file. Otherwise it is Write.
func WriteThrough(path string, data []byte, perm os.FileMode) error {
	target, err := linkTarget(path)
	if err != nil {
		return err
	}
	return Write(target, data, perm)
}

// linkTarget is the file path names, its links followed (at most 40, as
// the kernel does); path itself when it is not a link or not there.
func linkTarget(path string) (string, error) {
	for range 40 {
		info, err := os.Lstat(path)
		if err != nil || info.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", &os.PathError{Op: "write", Path: path, Err: errTooManyLinks}
}

// errTooManyLinks is a chain of links that does not end.
var errTooManyLinks = errors.New("too many levels of symbolic links")

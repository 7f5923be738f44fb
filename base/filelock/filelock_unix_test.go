//go:build unix

package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLockFolderMustBePrivate(t *testing.T) {
	// A link planted where the lock file goes is not followed.
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(target, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, "renew.lock")
	if err := os.Symlink(target, lock); err != nil {
		t.Fatal(err)
	}
	if l, err := Acquire(t.Context(), lock, nil); err == nil {
		l.Release()
		t.Fatal("the lock was taken through a planted link, want it refused")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Fatalf("the link's target now holds %q, want it untouched", b)
	}

	// A folder others may write to is refused, with a reason.
	open := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(t.Context(), filepath.Join(open, "renew.lock"), nil); !errors.Is(err, ErrNotPrivate) {
		t.Fatalf("a lock in a folder others may write to gave %v, want ErrNotPrivate", err)
	}

	// A link in place of the folder is refused too.
	linked := filepath.Join(t.TempDir(), "linked")
	if err := os.Symlink(t.TempDir(), linked); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(t.Context(), filepath.Join(linked, "renew.lock"), nil); !errors.Is(err, ErrNotPrivate) {
		t.Fatalf("a lock folder that is a link gave %v, want ErrNotPrivate", err)
	}
}

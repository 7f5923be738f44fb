package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWholeWithPermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "state.json")
	if err := Write(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Fatalf("%q %v", got, err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", info.Mode())
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("files %v, want the written file only", entries)
	}
}

// A path that is a link (or a chain of them) keeps its link: the file it
// points to is replaced; a link to a file not there yet makes it.
func TestWriteThroughKeepsTheLink(t *testing.T) {
	dir := t.TempDir()
	dotfiles := filepath.Join(dir, "dotfiles")
	if err := os.MkdirAll(dotfiles, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dotfiles, "config")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config")
	if err := os.Symlink("dotfiles/config", link); err != nil {
		t.Fatal(err)
	}
	chain := filepath.Join(dir, "chain")
	if err := os.Symlink(link, chain); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, chain} {
		if err := WriteThrough(p, []byte("new "+p), 0o600); err != nil {
			t.Fatal(err)
		}
		if info, err := os.Lstat(p); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("after WriteThrough %s is %v, %v; want the link kept", p, info.Mode(), err)
		}
		if got, _ := os.ReadFile(target); string(got) != "new "+p {
			t.Fatalf("the link's target holds %q; want %q", got, "new "+p)
		}
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dotfiles, "later"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteThrough(dangling, []byte("made"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dotfiles, "later")); string(got) != "made" {
		t.Fatalf("a link to a file not there made %q; want the file", got)
	}
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	if err := WriteThrough(loop, []byte("x"), 0o600); err == nil {
		t.Fatal("a link to itself was written; want an error")
	}
}

package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestNoCommandHandsOverToTheDesktopApp(t *testing.T) {
	var got [][]string
	env := Env{
		Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, Getenv: func(string) string { return "" }, ConfigFile: "-",
		Desktop: func(_ context.Context, args []string) error { got = append(got, args); return nil },
	}
	for _, args := range [][]string{nil, {"--verbose", "--device"}, {"--issuer", "https://id.example.com", "--no-browser"}} {
		got = nil
		if code := Run(context.Background(), args, env); code != exitOK || len(got) != 1 || !slices.Equal(got[0], args) {
			t.Errorf("latch %q: exit %d, desktop started with %q; want 0 and once with the same arguments", args, code, got)
		}
	}
	got = nil
	if code := Run(context.Background(), []string{"token", "--help"}, env); code != exitOK || got != nil {
		t.Errorf("latch token --help: exit %d, desktop started %d times; want 0 and never", code, len(got))
	}
	var stderr strings.Builder
	env.Stderr = &stderr
	if code := Run(context.Background(), []string{"--bogus"}, env); code != exitUsage || got != nil {
		t.Errorf("latch --bogus: exit %d, desktop started %d times; want %d and never", code, len(got), exitUsage)
	}
}

func TestDesktopExitStatusIsPassedOn(t *testing.T) {
	var stderr strings.Builder
	env := Env{
		Stdout: &strings.Builder{}, Stderr: &stderr, Getenv: func(string) string { return "" }, ConfigFile: "-",
		Desktop: func(context.Context, []string) error { return saidExit{3} },
	}
	if code := Run(context.Background(), nil, env); code != 3 || stderr.Len() != 0 {
		t.Errorf("exit %d, stderr %q; want 3 and nothing said (the app said why)", code, stderr.String())
	}
	env.Desktop = func(context.Context, []string) error { return ErrNoDesktop }
	if code := Run(context.Background(), nil, env); code != exitFail || !strings.Contains(stderr.String(), "latch: The desktop app (latch-desktop) is not installed") {
		t.Errorf("exit %d, stderr %q; want 1 and the sentence about installing it", code, stderr.String())
	}
}

func TestFindDesktopBesideThenOnPath(t *testing.T) {
	name := DesktopName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	dir, elsewhere := t.TempDir(), t.TempDir()
	self := filepath.Join(dir, "latch")
	beside := filepath.Join(dir, name)
	onPath := filepath.Join(elsewhere, name)
	for _, f := range []string{self, onPath} {
		if err := os.WriteFile(f, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	selfIs := func(p string) func() (string, error) { return func() (string, error) { return p, nil } }
	lookPath := func(string) (string, error) { return onPath, nil }
	noPath := func(string) (string, error) { return "", errors.New("not found") }

	if got, err := findDesktop(selfIs(self), lookPath); err != nil || got != onPath {
		t.Errorf("none beside, one on PATH: got %q, %v; want %q", got, err, onPath)
	}
	if _, err := findDesktop(selfIs(self), noPath); !errors.Is(err, ErrNoDesktop) {
		t.Errorf("none anywhere: got %v; want ErrNoDesktop", err)
	}
	if err := os.WriteFile(beside, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := findDesktop(selfIs(self), lookPath); err != nil || got != beside {
		t.Errorf("one beside and one on PATH: got %q, %v; want the one beside, %q", got, err, beside)
	}
	// A link to latch (as a package installs it in bin/) finds the app
	// beside the file it links to.
	link := filepath.Join(elsewhere, "latch-link")
	if err := os.Symlink(self, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if got, err := findDesktop(selfIs(link), noPath); err != nil || got != beside {
		t.Errorf("through a link: got %q, %v; want %q", got, err, beside)
	}
}

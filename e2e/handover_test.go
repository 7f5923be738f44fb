//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without the desktop app installed, `latch` with no command says what to
// do instead, and the commands work as before.
func TestLatchWithoutTheDesktopAppSaysSo(t *testing.T) {
	bin := latchBinary(t)
	alone := filepath.Join(t.TempDir(), "latch")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(home(t), "PATH=/usr/bin:/bin")
	code, stdout, stderr := runBinary(t, alone, env)
	want := "latch: The desktop app (latch-desktop) is not installed beside latch or on your PATH. Install Latch's package, or use latch login and latch status.\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Errorf("latch alone: exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, want)
	}
	code, stdout, _ = runBinary(t, alone, env, "--help")
	if code != 0 || !strings.Contains(stdout, "latch token") {
		t.Errorf("latch --help alone: exit %d, stdout %q; want 0 and the usage", code, stdout)
	}
}

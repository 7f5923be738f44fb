package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/latchapp/latch/base/atomicfile"
)

// autostartEntry is the path of Latch's XDG autostart entry
// ($XDG_CONFIG_HOME/autostart/AppID.desktop), which desktops that follow
// the freedesktop Desktop Application Autostart specification start at
// login; ok is false where there is no such folder to use (other systems).
func autostartEntry() (path string, ok bool) {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" && runtime.GOOS != "openbsd" && runtime.GOOS != "netbsd" {
		return "", false
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", false
	}
	return filepath.Join(dir, "autostart", AppID+".desktop"), true
}

// autostartEnabled reports whether the entry at path starts Latch at
// login: it is there and not hidden (a desktop's own settings turn an
// entry off with Hidden=true).
func autostartEnabled(path string) bool {
	text, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for line := range strings.SplitSeq(string(text), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.TrimSpace(k) == "Hidden" && strings.TrimSpace(v) == "true" {
			return false
		}
	}
	return true
}

// setAutostart writes the entry at path, which starts this program at
// login, or removes it.
func setAutostart(path string, on bool) error {
	if !on {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("latch cannot stop starting at login: %s cannot be removed", path)
		}
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return errors.New("latch cannot start at login: where its program is cannot be found")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("latch cannot start at login: the folder %s cannot be made", filepath.Dir(path))
	}
	if err := atomicfile.Write(path, []byte(autostartText(exe)), 0o600); err != nil {
		return fmt.Errorf("latch cannot start at login: %s cannot be written", path)
	}
	return nil
}

// autostartText is the autostart entry that starts the program exe, in
// the tray (see latchapp.WindowOptions).
func autostartText(exe string) string {
	return "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=Latch\n" +
		"Comment=Keeps your OpenID Connect session signed in\n" +
		"Exec=" + execArg(exe) + " --in-tray\n" +
		"Icon=" + AppID + "\n" +
		"Terminal=false\n" +
		"X-GNOME-Autostart-enabled=true\n"
}

// execArg is arg as one argument of a desktop entry's Exec key: quoted
// when it holds a reserved character, with ", `, $ and \ escaped inside
// the quotes, and each \ escaped once more for the string value the key
// is (the Desktop Entry specification, "The Exec key").
func execArg(arg string) string {
	if !strings.ContainsAny(arg, " \t\n\"'\\><~|&;$*?#()`") && !strings.Contains(arg, "%") {
		return arg
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range arg {
		switch r {
		case '"', '`', '$', '\\':
			b.WriteString(`\\`)
			if r == '\\' {
				b.WriteString(`\\`)
				continue
			}
		case '%':
			b.WriteString("%%")
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

//go:build linux

package e2e

import (
	"bufio"
	"context"
	"debug/pe"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/sandboxtest"
)

// packages is the folder of packages scripts/package built: the one
// scripts/test built first (LATCH_PACKAGES), or one built here.
func packages(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("LATCH_PACKAGES"); dir != "" {
		return dir
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "scripts/package", dir)
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("scripts/package: %v\n%s", err, out)
	}
	return dir
}

// fyneApp is the value of key in FyneApp.toml's [Details]: Version, ID.
func fyneApp(t *testing.T, key string) string {
	t.Helper()
	data, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+" = "); ok {
			return strings.Trim(v, `"`)
		}
	}
	t.Fatalf("no %s in FyneApp.toml", key)
	return ""
}

// runIn runs a command in dir to the end, failing the test when it fails.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// desktopEntry reads the keys of a .desktop file's [Desktop Entry].
func desktopEntry(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no desktop entry: %v", err)
	}
	defer f.Close()
	keys := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			keys[k] = v
		}
	}
	return keys
}

// TestLinuxPackageInstallsAndStarts unpacks the Linux package as a person
// does and installs it into a throwaway home (make user-install) and a
// throwaway prefix (make install): the desktop's application menu finds
// Latch (a valid entry whose program and icon are there), and the
// installed latch, run with no command, hands over to the installed app,
// which starts under Xvfb and shows the sign-in screen.
func TestLinuxPackageInstallsAndStarts(t *testing.T) {
	needDisplay(t, "make", "tar", "desktop-file-validate", "xprop")
	latchBinary(t) // the keychain the app reads at launch
	v := fyneApp(t, "Version")
	archive := filepath.Join(packages(t), "latch-"+v+"-linux-amd64.tar.xz")
	unpacked := t.TempDir()
	runIn(t, unpacked, nil, "tar", "-xJf", archive)
	pkg := filepath.Join(unpacked, "latch-"+v)

	env := home(t)
	homeDir := t.TempDir()
	env = append(env, "HOME="+homeDir, "XDG_DATA_HOME=", "PATH=/usr/bin:/bin")
	runIn(t, pkg, env, "make", "user-install")
	// One application ID names the entry and the icon, as software
	// centres and Wayland (which matches a window's app ID to an entry
	// of that name) expect.
	id := fyneApp(t, "ID")
	entry := filepath.Join(homeDir, ".local/share/applications", id+".desktop")
	runIn(t, pkg, env, "desktop-file-validate", entry)
	keys := desktopEntry(t, entry)
	bin := filepath.Join(homeDir, ".local/bin")
	if keys["Name"] != "Latch" || keys["Exec"] != filepath.Join(bin, "latch-desktop") || keys["Categories"] != "Utility;" || keys["Icon"] != id {
		t.Errorf("the desktop entry says %v; want Latch, running %s, in Utility, with the icon %s", keys, filepath.Join(bin, "latch-desktop"), id)
	}
	if png, err := os.ReadFile(filepath.Join(homeDir, ".local/share/icons", keys["Icon"]+".png")); err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Errorf("the entry's icon %q: %v; want a PNG in ~/.local/share/icons, where menus look for it", keys["Icon"], err)
	}

	root := t.TempDir()
	runIn(t, pkg, env, "make", "install", "DESTDIR="+root, "PREFIX=/usr")
	for _, f := range []string{"usr/bin/latch", "usr/bin/latch-desktop", "usr/bin/latch-sandbox", "usr/share/applications/" + id + ".desktop", "usr/share/pixmaps/" + id + ".png"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("make install put no %s in the prefix: %v", f, err)
		}
	}

	// The installed command line runs the installed sandbox program.
	sandboxAddr := sandboxtest.FreeAddr(t)
	sb := startBinary(t, filepath.Join(bin, "latch"), env, "sandbox", "--addr", sandboxAddr)
	if lines := sb.fields(3); lines["issuer"] != "http://"+sandboxAddr {
		t.Errorf("the installed latch sandbox printed %v (%s); want the issuer http://%s", lines, sb.stderr.String(), sandboxAddr)
	}
	_ = sb.cmd.Process.Signal(os.Interrupt)
	_ = sb.cmd.Wait()

	// The installed command line opens the installed app.
	env = append(env, "LATCH_SANDBOX_ADDR="+sandboxtest.FreeAddr(t))
	waitScreen := startAppLogging(t, filepath.Join(bin, "latch"), env, io.Discard)
	waitScreen("screen=signin", 30*time.Second)
	// X11 desktops match the window to the entry by its class.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "xprop", "-id", latchWindow(ctx, t), "WM_CLASS").Output()
	if err != nil || !strings.Contains(string(out), `"`+keys["StartupWMClass"]+`"`) || keys["StartupWMClass"] == "" {
		t.Errorf("the window's class is %q (%v); want the entry's StartupWMClass %q", strings.TrimSpace(string(out)), err, keys["StartupWMClass"])
	}
}

// TestWindowsPackage checks the Windows executables as Windows loads them:
// the desktop app a 64-bit GUI program with its resources (icon,
// manifest, version), the command line and the sandbox 64-bit console
// programs, each needing only the system's DLLs.
func TestWindowsPackage(t *testing.T) {
	dir := filepath.Join(packages(t), "latch-"+fyneApp(t, "Version")+"-windows-amd64")
	for _, c := range []struct {
		name      string
		subsystem uint16
		resources bool
	}{
		{"latch-desktop.exe", pe.IMAGE_SUBSYSTEM_WINDOWS_GUI, true},
		{"latch.exe", pe.IMAGE_SUBSYSTEM_WINDOWS_CUI, false},
		{"latch-sandbox.exe", pe.IMAGE_SUBSYSTEM_WINDOWS_CUI, false},
	} {
		f, err := pe.Open(filepath.Join(dir, c.name))
		if err != nil {
			t.Errorf("%s: %v; want a Windows executable", c.name, err)
			continue
		}
		opt, ok := f.OptionalHeader.(*pe.OptionalHeader64)
		if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || !ok || opt.Subsystem != c.subsystem {
			t.Errorf("%s: machine %#x, header %T; want amd64 and subsystem %d", c.name, f.Machine, f.OptionalHeader, c.subsystem)
		}
		if hasRsrc := f.Section(".rsrc") != nil; hasRsrc != c.resources {
			t.Errorf("%s: resources %t; want %t", c.name, hasRsrc, c.resources)
		}
		// Only what every Windows has: a DLL of mingw-w64's (libssp-0.dll,
		// libgcc_s, libwinpthread) is on no machine, and the program would
		// not start.
		// The DLLs come from the imported functions ("symbol:DLL"):
		// debug/pe's ImportedLibraries always returns none.
		symbols, err := f.ImportedSymbols()
		dlls := map[string]bool{}
		for _, s := range symbols {
			if _, dll, ok := strings.Cut(s, ":"); ok {
				dlls[dll] = true
			}
		}
		for dll := range dlls {
			if !slices.Contains([]string{"kernel32.dll", "user32.dll", "gdi32.dll", "shell32.dll", "opengl32.dll", "msvcrt.dll", "advapi32.dll", "ws2_32.dll", "winmm.dll", "ole32.dll", "bcrypt.dll", "crypt32.dll"}, strings.ToLower(dll)) {
				t.Errorf("%s needs %s, which Windows does not have; want only system DLLs", c.name, dll)
			}
		}
		if err != nil {
			t.Errorf("%s: reading its imports: %v", c.name, err)
		}
		f.Close()
	}
}

//go:build linux

package e2e

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/peers"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
)

// asRoot runs a command as root (through sudo -n when this is not root)
// and returns its output; it fails the test when the command fails.
func asRoot(t *testing.T, name string, args ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := exec.Command("sudo", "-n", "true").Run(); err != nil {
			peers.Missing(t, "root (to install the .deb with dpkg)", "not root, and sudo asks for a password")
		}
		args = append([]string{"-n", name}, args...)
		name = "sudo"
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// The .deb is what Debian's tools and software centres read: its
// metainfo and desktop entry validate, it installs with dpkg next to
// the libraries it names, the installed programs run (the app to its
// sign-in screen under Xvfb, latch sandbox through the installed
// latch-sandbox), and removing it leaves none of its files behind.
func TestDebInstallsRunsAndRemovesCleanly(t *testing.T) {
	needDisplay(t, "dpkg", "dpkg-deb", "appstreamcli", "desktop-file-validate")
	latchBinary(t) // the keychain the app reads at launch
	v, id := fyneApp(t, "Version"), fyneApp(t, "ID")
	deb := filepath.Join(packages(t), "latch_"+v+"_amd64.deb")

	fields := runIn(t, "", nil, "dpkg-deb", "--field", deb, "Package", "Version", "Depends", "Suggests")
	for _, want := range []string{"Package: latch", "Version: " + v, "libgl1", "libx11-6", "libxkbcommon0", "Suggests: gnome-keyring"} {
		if !strings.Contains(fields, want) {
			t.Errorf("the .deb's control says:\n%s\nwant %q in it", fields, want)
		}
	}
	unpacked := t.TempDir()
	runIn(t, "", nil, "dpkg-deb", "--extract", deb, unpacked)
	metainfo := filepath.Join(unpacked, "usr/share/metainfo", id+".metainfo.xml")
	runIn(t, "", nil, "appstreamcli", "validate", "--no-net", metainfo)
	if data, err := os.ReadFile(metainfo); err != nil || !strings.Contains(string(data), `<release version="`+v+`" date="`) {
		t.Errorf("the metainfo names no release %s: %v", v, err)
	}
	entry := filepath.Join(unpacked, "usr/share/applications", id+".desktop")
	runIn(t, "", nil, "desktop-file-validate", entry)
	if keys := desktopEntry(t, entry); keys["Exec"] != "latch-desktop" || keys["Icon"] != id || keys["Name"] != "Latch" {
		t.Errorf("the desktop entry says %v; want Latch running latch-desktop with the icon %s", keys, id)
	}

	if err := exec.Command("dpkg", "--status", "latch").Run(); err == nil {
		t.Fatal("a package named latch is installed already; this test installs and removes its own")
	}
	asRoot(t, "dpkg", "--install", deb)
	removed := false
	t.Cleanup(func() {
		if !removed {
			_ = exec.Command("dpkg", "--purge", "latch").Run()
		}
	})
	var files []string
	for line := range strings.Lines(runIn(t, "", nil, "dpkg", "--listfiles", "latch")) {
		if path := strings.TrimSpace(line); path != "" {
			if info, err := os.Stat(path); err == nil && !info.IsDir() {
				files = append(files, path)
			}
		}
	}
	for _, want := range []string{"/usr/bin/latch", "/usr/bin/latch-desktop", "/usr/bin/latch-sandbox",
		"/usr/share/applications/" + id + ".desktop", "/usr/share/icons/hicolor/256x256/apps/" + id + ".png", "/usr/share/metainfo/" + id + ".metainfo.xml"} {
		if !slices.Contains(files, want) {
			t.Errorf("the installed package holds %v; want %s among them", files, want)
		}
	}

	env := append(home(t), "PATH=/usr/bin:/bin")
	if code, out, errOut := runBinary(t, "/usr/bin/latch", env, "--help"); code != 0 || !strings.Contains(out+errOut, "latch login") {
		t.Errorf("the installed latch --help: exit %d, %s%s; want 0 and the commands", code, out, errOut)
	}
	sandboxAddr := sandboxtest.FreeAddr(t)
	sb := startBinary(t, "/usr/bin/latch", env, "sandbox", "--addr", sandboxAddr)
	if lines := sb.fields(3); lines["issuer"] != "http://"+sandboxAddr {
		t.Errorf("the installed latch sandbox printed %v (%s); want the issuer http://%s", lines, sb.stderr.String(), sandboxAddr)
	}
	_ = sb.cmd.Process.Signal(os.Interrupt)
	_ = sb.cmd.Wait()
	waitScreen := startAppLogging(t, "/usr/bin/latch-desktop", append(env, "LATCH_SANDBOX_ADDR="+sandboxtest.FreeAddr(t)), io.Discard)
	waitScreen("screen=signin", 30*time.Second)

	asRoot(t, "dpkg", "--purge", "latch")
	removed = true
	if err := exec.Command("dpkg", "--status", "latch").Run(); err == nil {
		t.Error("dpkg still knows the package latch after removing it")
	}
	for _, f := range files {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("%s is still there after the package was removed", f)
		}
	}
}

// The .rpm holds the same files and names, for an rpm-based system, the
// libraries the app loads as rpm itself names them (checked with
// Debian's rpm, as far as a Debian machine can).
func TestRpmHoldsTheProgramsAndNamesTheLibraries(t *testing.T) {
	if _, err := exec.LookPath("rpm"); err != nil {
		peers.Missing(t, "rpm", err.Error())
	}
	v, id := fyneApp(t, "Version"), fyneApp(t, "ID")
	rpm := filepath.Join(packages(t), "latch-"+v+"-1.x86_64.rpm")
	list := runIn(t, "", nil, "rpm", "--query", "--package", "--list", rpm)
	for _, want := range []string{"/usr/bin/latch\n", "/usr/bin/latch-desktop\n", "/usr/bin/latch-sandbox\n",
		"/usr/share/applications/" + id + ".desktop\n", "/usr/share/icons/hicolor/256x256/apps/" + id + ".png\n", "/usr/share/metainfo/" + id + ".metainfo.xml\n"} {
		if !strings.Contains(list, want) {
			t.Errorf("the .rpm holds:\n%s\nwant %s", list, strings.TrimSpace(want))
		}
	}
	requires := runIn(t, "", nil, "rpm", "--query", "--package", "--requires", rpm)
	for _, want := range []string{"libGL.so.1()(64bit)", "libX11.so.6()(64bit)", "libxkbcommon.so.0()(64bit)", "libwayland-client.so.0()(64bit)"} {
		if !strings.Contains(requires, want) {
			t.Errorf("the .rpm requires:\n%s\nwant %s", requires, want)
		}
	}
	if got := runIn(t, "", nil, "rpm", "--query", "--package", "--queryformat", "%{NAME} %{VERSION} %{ARCH}", rpm); got != "latch "+v+" x86_64" {
		t.Errorf("the .rpm is %q; want latch %s x86_64", got, v)
	}
}

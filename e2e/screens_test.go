//go:build linux

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/latchapp/latch/internal/testing/syncbuf"
)

// TestPicturesOfTheScreensInBothThemes runs the real app under Xvfb in
// the light and the dark theme (FYNE_THEME, as the system's preference
// reaches Fyne) and keeps, as artifacts, a picture of each screen and
// dialog the third pass brought, at the size the window takes itself and
// at 800×600: the configuration problem, the profile with its account
// bar, About with the keyboard shortcuts, Settings, Edit account and the
// recent uses. Each picture is drawn in its theme (its mean brightness
// says light or dark).
func TestPicturesOfTheScreensInBothThemes(t *testing.T) {
	bin := latchBinary(t)
	needDisplay(t, "xdotool", "import", "xprop")
	for _, variant := range []string{"light", "dark"} {
		t.Run(variant, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			// The configuration problem.
			env := append(home(t), "FYNE_THEME="+variant)
			writeConfig(t, env, "# my settings\nisuer = \"https://id.example.com/\"\nclient_id = \"latch\"\n")
			var log syncbuf.Buffer
			waitScreen := startAppLogging(t, bin, env, &log)
			waitScreen("screen=problem", time.Minute)
			waitFirstFrame(t, &log)
			window := latchWindow(ctx, t)
			picture(ctx, t, window, variant, "problem")
			closeApp(t, window)

			// Signed in to an account of the sandbox.
			env = append(home(t), "FYNE_THEME="+variant)
			issuer, _ := startSandbox(t, env, "127.0.0.1:0")
			addr := strings.TrimPrefix(issuer, "http://")
			env = append(env, "LATCH_SANDBOX_ADDR="+addr)
			if code, _, errOut := latch(t, env, "accounts", "add", "work", "--sandbox", "true", "--sandbox-addr", addr); code != 0 {
				t.Fatalf("latch accounts add work: %s", errOut)
			}
			loginNoBrowser(t, env, "demo", "demo", "--account", "work")
			if code, _, errOut := latch(t, env, "switch", "work"); code != 0 {
				t.Fatalf("latch switch work: %s", errOut)
			}
			var profileLog syncbuf.Buffer
			waitScreen = startAppLogging(t, bin, env, &profileLog)
			waitScreen("screen=profile", time.Minute)
			waitFirstFrame(t, &profileLog)
			window = latchWindow(ctx, t)
			time.Sleep(time.Second) // the avatar and the bar's list
			// The window's icon, which window managers show: its first
			// size. (xprop's default form prints _NET_WM_ICON as nothing.)
			if out, err := exec.Command("xprop", "-id", window, "-f", "_NET_WM_ICON", "32c", " $0 $1", "_NET_WM_ICON").Output(); err != nil || !strings.Contains(string(out), "256 256") {
				t.Errorf("the window's _NET_WM_ICON: %q %v; want a 256x256 icon", out, err)
			}
			picture(ctx, t, window, variant, "profile")
			for _, d := range []struct{ keys, name string }{{"F1", "about"}, {"ctrl+comma", "settings"}, {"ctrl+shift+e", "edit-account"}} {
				press(t, window, d.keys)
				time.Sleep(700 * time.Millisecond)
				picture(ctx, t, window, variant, d.name)
				press(t, window, "Escape")
				time.Sleep(300 * time.Millisecond)
			}
			closeApp(t, window)
		})
	}
}

// picture keeps pictures of window, named name and variant, at the size
// it has and at 800×600 (then it is given its size back), checking that
// each is drawn in variant.
func picture(ctx context.Context, t *testing.T, window, variant, name string) {
	t.Helper()
	geometry := xdotool(ctx, t, "getwindowgeometry", "--shell", window)
	var w, h string
	for line := range strings.SplitSeq(geometry, "\n") {
		if v, ok := strings.CutPrefix(line, "WIDTH="); ok {
			w = v
		}
		if v, ok := strings.CutPrefix(line, "HEIGHT="); ok {
			h = v
		}
	}
	for _, size := range []string{"", "800x600"} {
		if size != "" {
			xdotool(ctx, t, "windowsize", "--sync", window, "800", "600")
			time.Sleep(500 * time.Millisecond)
		}
		out, err := exec.Command("import", "-window", window, "png:-").Output()
		if err != nil {
			t.Fatalf("import -window %s: %v", window, err)
		}
		file := fmt.Sprintf("%s-%s.png", name, variant)
		if size != "" {
			file = fmt.Sprintf("%s-%s-%s.png", name, variant, size)
		}
		if err := os.WriteFile(filepath.Join(t.ArtifactDir(), file), out, 0o644); err != nil {
			t.Fatal(err)
		}
		if b := brightness(t, out); (variant == "dark") != (b < 0.5) {
			t.Errorf("%s: the picture's mean brightness is %.2f; want it drawn in the %s theme", file, b, variant)
		}
	}
	xdotool(ctx, t, "windowsize", "--sync", window, w, h)
	time.Sleep(300 * time.Millisecond)
}

// brightness is a PNG picture's mean brightness, from 0 (black) to 1.
func brightness(t *testing.T, picture []byte) float64 {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(picture))
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			sum += (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(bl)) / 0xffff
		}
	}
	n := float64(((b.Dx() + 3) / 4) * ((b.Dy() + 3) / 4))
	return sum / n
}

// closeApp ends the app of window, and waits for the window to be gone,
// so that the next app's window is the one found.
func closeApp(t *testing.T, window string) {
	t.Helper()
	_ = exec.Command("xdotool", "windowkill", window).Run()
	waitGone(t)
}

// TestWindowSizeKeptWhenTerminated: a size the person gave the window is
// kept when the app ends by a termination (as when the desktop session
// ends) or an interrupt, not only by Quit, and the next launch opens at
// that size.
func TestWindowSizeKeptWhenTerminated(t *testing.T) {
	bin := latchBinary(t)
	needDisplay(t, "xdotool")
	env := home(t)
	issuer, _ := startSandbox(t, env, "127.0.0.1:0")
	env = append(env, "LATCH_SANDBOX_ADDR="+strings.TrimPrefix(issuer, "http://"))
	loginNoBrowser(t, env, "demo", "demo")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		cmd := exec.Command(bin, "--verbose")
		cmd.Env = env
		waitScreen := watchApp(t, cmd, io.Discard)
		waitScreen("screen=profile", time.Minute)
		window := latchWindow(ctx, t)
		xdotool(ctx, t, "windowsize", "--sync", window, "700", "690")
		time.Sleep(2 * time.Second) // the app takes the new size from its event loop, later under load
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		waitGone(t)

		cmd = exec.Command(bin, "--verbose")
		cmd.Env = env
		waitScreen = watchApp(t, cmd, io.Discard)
		waitScreen("screen=profile", time.Minute)
		window = latchWindow(ctx, t)
		time.Sleep(500 * time.Millisecond)
		if geometry := xdotool(ctx, t, "getwindowgeometry", "--shell", window); !strings.Contains(geometry, "WIDTH=700\n") || !strings.Contains(geometry, "HEIGHT=690\n") {
			t.Fatalf("after %v the next launch's window is\n%s\nwant 700x690, the size given before", sig, geometry)
		}
		closeApp(t, window)
	}
}

// waitFirstFrame waits for the app's log to say its first screen was
// drawn: a picture taken before that is of an empty window.
func waitFirstFrame(t *testing.T, log *syncbuf.Buffer) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(log.String(), `msg="first frame"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the app drew no first frame within 30 s; its log:\n%s", log.String())
		}
	}
}

// waitGone waits for the app's window to be gone.
func waitGone(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Latch$").Output(); len(bytes.TrimSpace(out)) == 0 {
			return
		}
	}
	t.Fatal("the app's window is still shown 10 s after it was ended")
}

// trayWatcher stands for a desktop's tray host on the session bus: the
// StatusNotifierWatcher that KDE, GNOME's AppIndicator extension and
// most panels own, which takes the tray items that register.
type trayWatcher struct{ registered chan string }

// RegisterStatusNotifierItem takes a tray item, as a panel does.
func (w *trayWatcher) RegisterStatusNotifierItem(service string) *dbus.Error {
	select {
	case w.registered <- service:
	default:
	}
	return nil
}

// TestInTrayStartsHidden: `latch --in-tray` (what the autostart entry
// runs) starts with its window hidden where the desktop has a tray host,
// its tray item registered; without one, the window is shown, as nothing
// could bring it back.
func TestInTrayStartsHidden(t *testing.T) {
	bin := latchBinary(t)
	needDisplay(t, "xdotool")
	env := home(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// No tray host: the window shows.
	cmd := exec.Command(bin, "--verbose", "--in-tray")
	cmd.Env = env
	waitScreen := watchApp(t, cmd, io.Discard)
	waitScreen("screen=signin", time.Minute)
	closeApp(t, latchWindow(ctx, t))

	// A tray host on the session bus.
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Skipf("no session bus: %v", err)
	}
	defer conn.Close()
	watcher := &trayWatcher{registered: make(chan string, 1)}
	if err := conn.Export(watcher, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning org.kde.StatusNotifierWatcher: %v %v", reply, err)
	}
	var log syncbuf.Buffer
	cmd = exec.Command(bin, "--verbose", "--in-tray")
	cmd.Env = env
	waitScreen = watchApp(t, cmd, &log)
	waitScreen("screen=signin", time.Minute)
	select {
	case <-watcher.registered:
	case <-time.After(20 * time.Second):
		t.Fatalf("the app registered no tray item within 20 s; its log:\n%s", log.String())
	}
	time.Sleep(time.Second)
	if out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Latch$").Output(); len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("with a tray host, latch --in-tray showed its window; want it hidden in the tray")
	}
	if !strings.Contains(log.String(), "started in the tray") {
		t.Fatalf("the app's log says:\n%s\nwant it started in the tray", log.String())
	}
}

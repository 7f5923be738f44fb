package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// settingsOn opens Settings with Ctrl+, and returns its choices, in the
// order the dialog shows them, and its check boxes.
func settingsOn(t *testing.T, ui *appWindow) ([]*widget.RadioGroup, []*widget.Check) {
	t.Helper()
	onUI(func() { typeShortcut(t, ui, fyne.KeyComma) })
	var radios []*widget.RadioGroup
	var checks []*widget.Check
	waitFor(t, "Settings", func() bool { return strings.Contains(allText(ui.window.Canvas().Overlays().Top()), "Appearance") })
	onUI(func() {
		eachObject(ui.window.Canvas().Overlays().Top(), true, func(o fyne.CanvasObject) {
			switch v := o.(type) {
			case *widget.RadioGroup:
				radios = append(radios, v)
			case *widget.Check:
				checks = append(checks, v)
			}
		})
	})
	if len(radios) != 2 {
		t.Fatalf("Settings shows %d choices; want the appearance and closing the window", len(radios))
	}
	return radios, checks
}

// The theme chosen is drawn whatever the system prefers, kept for the
// next run, and "Follow the system" gives the system's variant back.
func TestSettingsThemeIsDrawnAndKept(t *testing.T) {
	ui := newHarness(t).start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	radios, _ := settingsOn(t, ui)
	dark := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark)
	light := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight)
	background := func() any {
		// What a widget is drawn with: the app's theme, in the variant
		// the system says (here light).
		return ui.fyne.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantLight)
	}
	onUI(func() {
		if got := radios[0].Selected; got != "Follow the system" {
			t.Errorf("a first run's appearance is %q; want Follow the system", got)
		}
		radios[0].SetSelected("Dark")
	})
	onUI(func() {
		if got := background(); got != dark {
			t.Errorf("after choosing Dark the background is %v on a light system; want %v", got, dark)
		}
		if got := ui.fyne.Preferences().String(prefTheme); got != themeDark {
			t.Errorf("the preference kept is %q; want %q", got, themeDark)
		}
		radios[0].SetSelected("Follow the system")
	})
	onUI(func() {
		if got := background(); got != light {
			t.Errorf("following the system again, the background is %v; want the system's %v", got, light)
		}
	})
	// The next run draws what was chosen from the start.
	onUI(func() {
		ui.fyne.Preferences().SetString(prefTheme, themeDark)
		applyTheme(ui.fyne)
		if got := background(); got != dark {
			t.Errorf("a run after choosing Dark draws %v; want %v", got, dark)
		}
	})
}

// Closing the window quits by default; with "Keep Latch running in the
// system tray" chosen (where the desktop shows tray icons) it hides the
// window, says so once, and Quit from the tray still quits.
func TestSettingsCloseToTray(t *testing.T) {
	hadTray := trayHost
	trayHost = func() bool { return true }
	t.Cleanup(func() { trayHost = hadTray })
	ui := newHarness(t).start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	radios, _ := settingsOn(t, ui)
	onUI(func() {
		if radios[1].Disabled() {
			t.Fatal("closing to the tray cannot be chosen on a desktop with a tray")
		}
		radios[1].SetSelected("Keep Latch running in the system tray")
		ui.dialogConfirm()
	})
	onUI(func() {
		if got := ui.fyne.Preferences().String(prefClose); got != closeToTray {
			t.Fatalf("the preference kept is %q; want %q", got, closeToTray)
		}
		ui.onClose()
		if !windowOpen(ui) {
			t.Error("closing the window with close-to-tray chosen closed it, ending Latch; want it hidden")
		}
		if !ui.toldInTray {
			t.Error("nothing said Latch keeps running in the tray")
		}
	})
	trayHost = func() bool { return false }
	onUI(func() {
		if ui.closesToTray() {
			t.Error("without a tray host closing the window would hide it where nobody can bring it back")
		}
		ui.fyne.Preferences().SetString(prefClose, closeQuits)
		ui.onClose()
		if windowOpen(ui) {
			t.Error("closing the window with Quit Latch chosen left it open")
		}
	})
}

// allText is every text shown in o's tree (labels, rich text and the
// canvas's own text, as forms draw their hints), a line each.
func allText(o fyne.CanvasObject) string {
	if o == nil {
		return ""
	}
	var b strings.Builder
	eachObject(o, true, func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			b.WriteString(v.Text + "\n")
		case *widget.RichText:
			b.WriteString(v.String() + "\n")
		case *canvas.Text:
			b.WriteString(v.Text + "\n")
		}
	})
	return b.String()
}

// windowOpen says whether the app's window is open (hidden or not), as
// the test driver keeps it until it is closed.
func windowOpen(ui *appWindow) bool {
	for _, w := range ui.fyne.Driver().AllWindows() {
		if w == ui.window {
			return true
		}
	}
	return false
}

// Without a tray host, closing the window cannot be set to hide it: the
// choice is disabled and says why.
func TestSettingsCloseToTrayNeedsATray(t *testing.T) {
	hadTray := trayHost
	trayHost = func() bool { return false }
	t.Cleanup(func() { trayHost = hadTray })
	ui := newHarness(t).start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	radios, _ := settingsOn(t, ui)
	var text string
	onUI(func() {
		if !radios[1].Disabled() {
			t.Error("closing to the tray can be chosen on a desktop without tray icons")
		}
		text = allText(ui.window.Canvas().Overlays().Top())
	})
	if !strings.Contains(text, "No tray icons") {
		t.Errorf("Settings says:\n%s\nwant it to say why the window cannot close to the tray", text)
	}
}

// "Start Latch when I log in" writes an XDG autostart entry that runs this
// program, and unchecked removes it; a folder that cannot be written is
// said, and the box turned back.
func TestSettingsStartAtLogin(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	ui := newHarness(t).start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	_, checks := settingsOn(t, ui)
	if len(checks) != 1 {
		t.Fatalf("Settings shows %d check boxes; want start at login", len(checks))
	}
	entry := filepath.Join(config, "autostart", AppID+".desktop")
	onUI(func() { test.Tap(checks[0]) })
	text, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("start at login wrote no entry: %v", err)
	}
	exe, _ := os.Executable()
	for _, want := range []string{"[Desktop Entry]\n", "Type=Application\n", "Exec=" + execArg(exe) + " --in-tray\n", "Icon=" + AppID + "\n"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the autostart entry is:\n%s\nwant a line %q", text, want)
		}
	}
	if info, _ := os.Stat(entry); info.Mode().Perm()&0o077 != 0 {
		t.Errorf("the entry's mode is %v; want it the person's alone", info.Mode().Perm())
	}
	onUI(func() { test.Tap(checks[0]) })
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("unchecked, the entry is still there (%v)", err)
	}
	// A file where the autostart folder should be: nothing can be written.
	if err := os.RemoveAll(filepath.Join(config, "autostart")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(config, "autostart"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	onUI(func() { test.Tap(checks[0]) })
	onUI(func() {
		if checks[0].Checked {
			t.Error("the box stays checked though no entry could be written")
		}
		if text := overlayText(ui.window); !strings.Contains(text, "cannot start at login") {
			t.Errorf("Settings says:\n%s\nwant it to say Latch cannot start at login", text)
		}
	})
}

// An Exec value keeps a path with spaces and reserved characters one
// argument, as the Desktop Entry specification quotes it.
func TestExecArgQuotes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/usr/bin/latch-desktop", "/usr/bin/latch-desktop"},
		{"/home/d/My Apps/latch", `"/home/d/My Apps/latch"`},
		{`/opt/a"b$c`, `"/opt/a\\"b\\$c"`},
		{`/opt/back\slash`, `"/opt/back\\\\slash"`},
		{"/opt/100%/latch", `"/opt/100%%/latch"`},
	} {
		if got := execArg(c.in); got != c.want {
			t.Errorf("execArg(%q) = %s; want %s", c.in, got, c.want)
		}
	}
}

// A desktop's own settings turn an entry off with Hidden=true: Latch then
// does not say it starts at login.
func TestAutostartHiddenIsOff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latch.desktop")
	if autostartEnabled(path) {
		t.Error("no entry counts as starting at login")
	}
	if err := os.WriteFile(path, []byte(autostartText("/usr/bin/latch-desktop")), 0o600); err != nil {
		t.Fatal(err)
	}
	if !autostartEnabled(path) {
		t.Error("Latch's entry does not count as starting at login")
	}
	if err := os.WriteFile(path, []byte(autostartText("/usr/bin/latch-desktop")+"Hidden=true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if autostartEnabled(path) {
		t.Error("an entry with Hidden=true counts as starting at login")
	}
}

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/latchapp/latch/internal/app/latchapp"
)

// The person's settings, kept in the preferences (start at login is the
// autostart entry itself: see autostart.go).
const (
	prefTheme = "settings.theme" // themeSystem, themeLight or themeDark
	prefClose = "settings.close" // closeQuits or closeToTray
)

// The choices of Settings, as kept and as shown.
const (
	themeSystem = "system"
	themeLight  = "light"
	themeDark   = "dark"

	closeQuits  = "quit"
	closeToTray = "tray"
)

var (
	themeChoices = []string{"Follow the system", "Light", "Dark"}
	themeKept    = []string{themeSystem, themeLight, themeDark}
	closeChoices = []string{"Quit Latch", "Keep Latch running in the system tray"}
	closeKept    = []string{closeQuits, closeToTray}
)

// applyTheme draws the app in the theme the person chose in the
// preferences: the system's preference, light or dark.
func applyTheme(a fyne.App) {
	t := latchTheme{Theme: theme.DefaultTheme()}
	switch a.Preferences().String(prefTheme) {
	case themeLight:
		v := theme.VariantLight
		t.variant = &v
	case themeDark:
		v := theme.VariantDark
		t.variant = &v
	}
	a.Settings().SetTheme(t)
}

// closesToTray reports whether closing the window keeps Latch running in
// the tray: the person chose it, and the desktop shows tray icons (without
// one a hidden window could not be brought back).
func (a *appWindow) closesToTray() bool {
	return a.fyne.Preferences().String(prefClose) == closeToTray && trayHost()
}

// showSettings shows Settings: the theme, what closing the window does,
// and starting at login. A choice takes effect as it is made.
func (a *appWindow) showSettings() {
	if a.dialog != nil {
		return
	}
	prefs := a.fyne.Preferences()
	look := choice(themeChoices, themeKept, prefs.String(prefTheme), func(kept string) {
		prefs.SetString(prefTheme, kept)
		applyTheme(a.fyne)
	})
	closing := choice(closeChoices, closeKept, prefs.String(prefClose), func(kept string) {
		prefs.SetString(prefClose, kept)
	})
	items := []*widget.FormItem{
		{Text: "Appearance", Widget: look},
		{Text: "Closing the window", Widget: closing},
	}
	if !trayHost() {
		closing.Disable()
		items[1].HintText = "No tray icons on this desktop: closing quits."
	}
	problem := widget.NewLabel("")
	problem.Wrapping = fyne.TextWrapWord
	problem.Importance = widget.DangerImportance
	problem.Hide()
	if entry, ok := autostartEntry(); ok {
		login := widget.NewCheck("Start Latch when I log in", nil)
		login.SetChecked(autostartEnabled(entry))
		login.OnChanged = func(on bool) { a.setStartAtLogin(entry, on, login, problem) }
		items = append(items, &widget.FormItem{Text: "Login", Widget: login, HintText: "Latch starts in the tray, or opens its window where there is none."})
	}
	form := widget.NewForm(items...)
	d := dialog.NewCustom("Settings", "Close", container.NewVBox(form, problem), a.window)
	d.Resize(fyne.NewSize(min(560, a.window.Canvas().Size().Width-40), 0))
	a.dialog = d
	a.dialogConfirm = func() { d.Hide() }
	d.SetOnClosed(func() {
		if a.dialog == d {
			a.dialog, a.dialogConfirm = nil, nil
		}
	})
	a.window.Canvas().Unfocus()
	d.Show()
}

// setStartAtLogin adds or removes the autostart entry as the check box
// login says, turning it back and saying why when that cannot be done.
func (a *appWindow) setStartAtLogin(entry string, on bool, login *widget.Check, problem *widget.Label) {
	problem.Hide()
	err := setAutostart(entry, on)
	if err == nil {
		a.log.Info("start at login", "on", on)
		return
	}
	a.log.Info("start at login not changed", "why", err.Error())
	problem.SetText(latchapp.Describe(err))
	problem.Show()
	onChanged := login.OnChanged
	login.OnChanged = nil // turning it back is no choice of the person's
	login.SetChecked(!on)
	login.OnChanged = onChanged
}

// choice is a radio group of labels, the one whose kept value is current
// chosen (the first when none is), calling chosen with the kept value of
// the one the person picks.
func choice(labels, kept []string, current string, chosen func(kept string)) *widget.RadioGroup {
	r := widget.NewRadioGroup(labels, nil)
	r.Required = true
	r.Selected = labels[0]
	for i, k := range kept {
		if k == current {
			r.Selected = labels[i]
		}
	}
	r.OnChanged = func(label string) {
		for i, l := range labels {
			if l == label {
				chosen(kept[i])
			}
		}
	}
	return r
}

package ui

import (
	"net/url"
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/latchapp"
)

// keyBinding is one entry of the window's keyboard: the keys as the
// person reads them, what they do, and, for a shortcut the window binds,
// the shortcut and its action (the keys without one are handled where
// they are typed: see onTypedKey and button).
type keyBinding struct {
	keys, does string
	shortcut   fyne.Shortcut
	run        func()
}

// keyboard is every key the window answers, in the order the shortcuts
// view lists them; Ctrl is Cmd on macOS.
func (a *appWindow) keyboard() []keyBinding {
	ctrl := func(key fyne.KeyName) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
	}
	ctrlShift := func(key fyne.KeyName) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	}
	keys := []keyBinding{
		{keys: "Enter", does: "Sign in with the browser; press the button that has the focus; allow or confirm in a question"},
		{keys: "Escape", does: "Cancel a sign-in; deny or dismiss a question"},
		{keys: "Tab, Shift+Tab", does: "Move the focus between buttons and fields"},
		{keys: "Ctrl+D", does: "Sign in on another device", shortcut: ctrl(fyne.KeyD), run: func() {
			if a.signIn != nil && a.screen == ScreenSignIn && a.dialog == nil {
				a.signIn.onDeviceShortcut()
			}
		}},
		{keys: "Ctrl+S", does: "Save the metadata", shortcut: ctrl(fyne.KeyS), run: func() {
			if a.metadata != nil && a.metadata.built() {
				a.metadata.onSave()
			}
		}},
		{keys: "Ctrl+R", does: "Reload the metadata", shortcut: ctrl(fyne.KeyR), run: func() {
			if a.metadata != nil && a.metadata.built() {
				a.metadata.onReload()
			}
		}},
		{keys: "Ctrl+Shift+Q", does: "Sign out", shortcut: ctrlShift(fyne.KeyQ), run: a.signOut},
		{keys: "Ctrl+Shift+N", does: "Add an account", shortcut: ctrlShift(fyne.KeyN), run: a.addAccount},
		{keys: "Ctrl+Shift+E", does: "Edit the account's provider", shortcut: ctrlShift(fyne.KeyE), run: func() {
			if a.account != nil {
				a.editAccount(a.account.Config.AccountName())
			}
		}},
		{keys: "Ctrl+1 … Ctrl+9", does: "Show the first to ninth account"},
		{keys: "Ctrl+,", does: "Settings: appearance, closing the window, starting at login", shortcut: ctrl(fyne.KeyComma), run: a.showSettings},
		{keys: "F1, Ctrl+?", does: "Show this list, and what Latch is", shortcut: ctrlShift(fyne.KeySlash), run: a.showHelp},
	}
	// Ctrl+1…9 show the accounts in the order the bar lists them.
	for n, key := range []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6, fyne.Key7, fyne.Key8, fyne.Key9} {
		keys = append(keys, keyBinding{shortcut: ctrl(key), run: func() { a.chooseAccountAt(n) }})
	}
	return keys
}

// setupShortcuts binds the keyboard: the shortcuts, and the keys typed
// with nothing focused (onTypedKey).
func (a *appWindow) setupShortcuts() {
	c := a.window.Canvas()
	for _, k := range a.keyboard() {
		if k.shortcut != nil {
			run := k.run
			c.AddShortcut(k.shortcut, func(fyne.Shortcut) { run() })
		}
	}
	c.SetOnTypedKey(a.onTypedKey)
}

func (a *appWindow) onTypedKey(ev *fyne.KeyEvent) {
	if a.dialog != nil {
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			a.dialogConfirm()
		case fyne.KeyEscape:
			if a.dialogDismiss != nil {
				a.dialogDismiss()
				return
			}
			a.dialog.Hide()
			a.dialog, a.dialogConfirm = nil, nil
		}
		return
	}
	if ev.Name == fyne.KeyF1 {
		a.showHelp()
		return
	}
	if a.signIn == nil || a.screen != ScreenSignIn {
		return
	}
	switch ev.Name {
	case fyne.KeyEscape:
		a.signIn.onCancel()
	case fyne.KeyReturn, fyne.KeyEnter:
		a.signIn.onBrowser()
	}
}

// showHelp shows the help: what Latch is (its version, licence and
// project address) and the keyboard's list, as the window answers it.
func (a *appWindow) showHelp() {
	if a.dialog != nil {
		return
	}
	items := make([]fyne.CanvasObject, 0, 2*len(a.keyboard()))
	for _, k := range a.keyboard() {
		if k.keys == "" {
			continue
		}
		keys := widget.NewLabelWithStyle(keyNames(k.keys), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		does := widget.NewLabel(k.does)
		does.Wrapping = fyne.TextWrapWord
		items = append(items, keys, does)
	}
	project, _ := url.Parse(projectURL)
	about := container.NewVBox(
		widget.NewLabelWithStyle(latchapp.VersionLine(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel("Signs you in to your OpenID Connect provider and keeps the session in the system keychain. Licensed under the Apache License 2.0."),
		widget.NewHyperlink(projectURL, project),
		widget.NewLabelWithStyle("Keyboard shortcuts", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
	)
	about.Objects[0].(*widget.Label).Wrapping = fyne.TextWrapWord
	about.Objects[1].(*widget.Label).Wrapping = fyne.TextWrapWord
	// The list scrolls within the window, whatever its size.
	body := container.NewVScroll(container.NewVBox(about, container.New(layout.NewFormLayout(), items...)))
	size := a.window.Canvas().Size()
	body.SetMinSize(fyne.NewSize(min(520, size.Width-80), max(200, size.Height-160)))
	d := dialog.NewCustom("About Latch", "Close", body, a.window)
	a.dialog = d
	a.dialogConfirm = func() { d.Hide(); a.dialog, a.dialogConfirm = nil, nil }
	d.SetOnClosed(func() {
		if a.dialog == d {
			a.dialog, a.dialogConfirm = nil, nil
		}
	})
	d.Show()
}

// projectURL is Latch's project address, as FyneApp.toml's Website.
const projectURL = "https://github.com/latchapp/latch"

// keyNames is keys as this system names them: Cmd for Ctrl on macOS.
func keyNames(keys string) string {
	if runtime.GOOS == "darwin" {
		return strings.ReplaceAll(keys, "Ctrl", "Cmd")
	}
	return keys
}

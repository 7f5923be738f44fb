package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// shortcuts are the window's keyboard shortcuts: Ctrl+S saves and
// Ctrl+R reloads the metadata, Ctrl+D signs in on another device,
// Ctrl+Shift+Q signs out, Ctrl+1…9 show an account, Ctrl+Shift+N adds one
// (Cmd instead of Ctrl on macOS).
func (a *appWindow) shortcuts() map[fyne.Shortcut]func() {
	ctrl := func(key fyne.KeyName) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
	}
	keys := map[fyne.Shortcut]func(){
		ctrl(fyne.KeyS): func() {
			if a.metadata != nil && a.metadata.built() {
				a.metadata.onSave()
			}
		},
		ctrl(fyne.KeyR): func() {
			if a.metadata != nil && a.metadata.built() {
				a.metadata.onReload()
			}
		},
		ctrl(fyne.KeyD): func() {
			if a.signIn != nil && a.screen == ScreenSignIn && a.dialog == nil {
				a.signIn.onDeviceShortcut()
			}
		},
		&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}: a.signOut,
		&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}: a.addAccount,
	}
	// Ctrl+1…9 show the accounts in the order the bar lists them.
	for n, key := range []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6, fyne.Key7, fyne.Key8, fyne.Key9} {
		keys[ctrl(key)] = func() { a.chooseAccountAt(n) }
	}
	return keys
}

// setupShortcuts binds the keyboard: the shortcuts, and Enter, which
// starts the browser sign-in (or confirms a question), and Escape, which
// cancels a sign-in in progress (or dismisses a question).
func (a *appWindow) setupShortcuts() {
	c := a.window.Canvas()
	for s, f := range a.shortcuts() {
		c.AddShortcut(s, func(fyne.Shortcut) { f() })
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

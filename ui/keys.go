package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// setupShortcuts binds the keyboard: Ctrl+S saves and Ctrl+R reloads the
// metadata, Ctrl+Shift+Q signs out, Enter starts the browser sign-in (or
// confirms a question) and Escape cancels a sign-in in progress (or
// dismisses a question).
func (a *appWindow) setupShortcuts() {
	c := a.window.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		if a.metadata != nil && a.metadata.built() {
			a.metadata.onSave()
		}
	})
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		if a.metadata != nil && a.metadata.built() {
			a.metadata.onReload()
		}
	})
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}, func(fyne.Shortcut) {
		a.signOut()
	})
	c.SetOnTypedKey(a.onTypedKey)
}

func (a *appWindow) onTypedKey(ev *fyne.KeyEvent) {
	if a.dialog != nil {
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			a.dialogConfirm()
		case fyne.KeyEscape:
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

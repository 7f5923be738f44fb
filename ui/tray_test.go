package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

func TestTrayTooltipSignedOut(t *testing.T) {
	ui := newHarness(t).start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	var got string
	onUI(func() { got = ui.trayTooltip() })
	if want := "Latch: default, not signed in"; got != want {
		t.Errorf("signed out, the tooltip says %q; want %q", got, want)
	}
}

func TestTrayTooltipSignedIn(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	var got string
	onUI(func() { got = ui.trayTooltip() })
	if want := "Latch: default, signed in as Dana Demo"; got != want {
		t.Errorf("signed in, the tooltip says %q; want %q", got, want)
	}
	// One wording for the app's questions: Cancel, never No.
	onUI(func() {
		pressShortcut(t, ui, (&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}).ShortcutName())
	})
	tapDialogButton(t, ui.window, "Cancel")
	waitFor(t, "the question closed", func() bool { return ui.dialog == nil })
}

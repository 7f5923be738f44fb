package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
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

// What the window says while it is behind others is said in a desktop
// notification too: the session ended, renewals failing (once), and
// nothing while the window is in front.
func TestNotificationsWhenTheWindowIsBehind(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	offline := session.Event{State: session.StateOffline, Err: session.ErrProviderUnreachable}
	onUI(func() {
		ui.inFront = true
		test.AssertNotificationSent(t, nil, func() { ui.onSessionEvent(offline) })
		ui.toldOffline = false
		ui.inFront = false
		test.AssertNotificationSent(t, fyne.NewNotification("Latch: your session cannot be renewed now", latchapp.Describe(session.ErrProviderUnreachable)),
			func() { ui.onSessionEvent(offline) })
		test.AssertNotificationSent(t, nil, func() { ui.onSessionEvent(offline) }) // said once
		test.AssertNotificationSent(t, fyne.NewNotification("Latch: you are signed out", latchapp.Describe(session.ErrSessionExpired)),
			func() { ui.onSessionEvent(session.Event{State: session.StateEnded, Err: session.ErrSessionExpired}) })
		// The window says it too (the session itself goes on: the event
		// is the test's, and the app may go back to the profile after).
		if ui.Screen() != ScreenSignIn {
			t.Errorf("after the session ended the screen is %q; want the sign-in screen", ui.Screen())
		}
	})
}

func TestASignInCompletedBehindIsNotified(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	creds := h.signInDirectly()
	onUI(func() {
		ui.inFront = false
		test.AssertNotificationSent(t, fyne.NewNotification("Latch: signed in", "Signed in as Dana Demo."), func() { ui.onSignedIn(creds) })
	})
}

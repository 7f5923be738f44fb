package ui

import (
	"context"

	"fyne.io/fyne/v2"
)

// How the window runs, whether it is in front, and how it closes and
// quits.

// run runs the app until it quits: by Quit, by closing the window, or as
// ctx ends (an interrupt, or a termination when the desktop session
// ends), which quits as Quit does, keeping the window's size. The window
// is shown, or with inTray left hidden: the tray's Open shows it.
func (a *appWindow) run(ctx context.Context, inTray bool) {
	stop := context.AfterFunc(ctx, func() { fyne.Do(a.quit) })
	defer stop()
	if inTray {
		a.log.Info("started in the tray")
		a.fyne.Run()
		return
	}
	a.window.ShowAndRun()
}

// followFront follows whether the window is in front, as the system
// tells (see notify).
func (a *appWindow) followFront() {
	a.inFront = true
	lc := a.fyne.Lifecycle()
	lc.SetOnEnteredForeground(func() { a.inFront = true })
	lc.SetOnExitedForeground(func() { a.inFront = false })
	// However the app stops (Quit, the window closed, or a termination
	// that Fyne itself answers by quitting), the size is kept: Fyne
	// saves the preferences after this.
	lc.SetOnStopped(a.keepSize)
}

// notify says title and text in a desktop notification when the window is
// not in front: what the window says there, the person would not see.
func (a *appWindow) notify(title, text string) {
	if !a.inFront {
		a.fyne.SendNotification(fyne.NewNotification(title, text))
	}
}

// onClose follows the person closing the window: Latch quits, or keeps
// running in the tray when they chose that in Settings.
func (a *appWindow) onClose() {
	a.keepSize()
	if !a.closesToTray() {
		a.window.Close()
		return
	}
	a.window.Hide()
	if !a.toldInTray {
		a.toldInTray = true // once a run: the person knows after that
		a.fyne.SendNotification(fyne.NewNotification("Latch is still running", "Latch keeps your session in the system tray. Choose Quit there to end it."))
	}
}

// quit ends Latch, whatever closing the window does, keeping the window's
// size first.
func (a *appWindow) quit() {
	a.keepSize()
	a.window.Close()
	a.fyne.Quit()
}

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/latchapp/latch/internal/core"
)

// updateTray sets the system-tray menu where the platform has one and the
// desktop shows tray icons: who is signed in, Open, Sign out, Quit.
func (a *appWindow) updateTray() {
	d, ok := a.fyne.(desktop.App)
	if !ok || !trayHost() {
		return
	}
	signedIn := a.signedIn()
	who := fyne.NewMenuItem("Not signed in", nil)
	if signedIn {
		who.Label = "Signed in as " + core.Printable(a.person.DisplayName())
	}
	who.Disabled = true
	signOut := fyne.NewMenuItem("Sign out", func() { a.window.Show(); a.signOut() })
	signOut.Disabled = !signedIn
	d.SetSystemTrayMenu(fyne.NewMenu("Latch", who, fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Open", func() { a.window.Show(); a.window.RequestFocus() }),
		signOut,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Quit", func() { a.onClose(); a.fyne.Quit() }),
	))
}

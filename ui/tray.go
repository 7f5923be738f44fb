package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/systray"

	"github.com/latchapp/latch/internal/app/latchapp"
)

// updateTray sets the system-tray menu where the platform has one and the
// desktop shows tray icons: who is signed in, the accounts, Open, Sign
// out, Quit.
func (a *appWindow) updateTray() {
	d, ok := a.fyne.(desktop.App)
	if !ok || !trayHost() {
		return
	}
	signedIn := a.signedIn()
	who := fyne.NewMenuItem("Not signed in", nil)
	if signedIn {
		who.Label = "Signed in as " + latchapp.Printable(a.person.DisplayName())
	}
	who.Disabled = true
	signOut := fyne.NewMenuItem("Sign out", func() { a.window.Show(); a.signOut() })
	signOut.Disabled = !signedIn
	items := []*fyne.MenuItem{who, fyne.NewMenuItemSeparator()}
	if accounts := a.trayAccounts(); len(accounts) > 0 {
		items = append(append(items, accounts...), fyne.NewMenuItemSeparator())
	}
	items = append(items,
		fyne.NewMenuItem("Open", func() { a.window.Show(); a.window.RequestFocus() }),
		fyne.NewMenuItem("Settings…", func() { a.window.Show(); a.showSettings() }),
		fyne.NewMenuItem("About Latch", func() { a.window.Show(); a.showHelp() }),
		signOut,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Quit", a.quit),
	)
	d.SetSystemTrayMenu(fyne.NewMenu("Latch", items...))
	systray.SetTooltip(a.trayTooltip())
}

// trayTooltip names the account shown and its state, for the tray icon.
func (a *appWindow) trayTooltip() string {
	account := a.account.Config.AccountName()
	if a.signedIn() {
		return "Latch: " + latchapp.Printable(account) + ", signed in as " + latchapp.Printable(a.person.DisplayName())
	}
	return "Latch: " + latchapp.Printable(account) + ", not signed in"
}

// trayAccounts are the tray menu's accounts, the one shown checked, and
// Add account…; none when the window has no accounts to switch between.
func (a *appWindow) trayAccounts() []*fyne.MenuItem {
	if a.accounts == nil {
		return nil
	}
	var items []*fyne.MenuItem
	for _, s := range a.accountList {
		item := fyne.NewMenuItem(accountLabel(s), func() { a.window.Show(); a.chooseAccount(s.Name) })
		item.Checked = s.Name == a.account.Config.Account
		items = append(items, item)
	}
	return append(items, fyne.NewMenuItem("Add account…", func() { a.window.Show(); a.addAccount() }))
}

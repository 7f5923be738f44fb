package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/latchapp"
)

// Accounts in the window: a bar above every screen names the account
// shown and lists the others, with who is signed in to each; choosing
// one (there, with Ctrl+1…9, or in the tray) shows its profile at once
// when its session is held, its sign-in screen otherwise, and makes it
// the active account, which the command line follows too. The window
// follows `latch switch` and accounts added or removed elsewhere as the
// config folder changes (see followAccounts).

// accountsPoll is how often the window looks for a switch, or accounts
// added or removed, by another program, where it cannot watch the config
// folder.
const accountsPoll = time.Second

// accountsRecheck is how often the window looks at the accounts while it
// watches their folder.
const accountsRecheck = 30 * time.Second

// accountChoiceWidth is the least width of the bar's list of accounts.
const accountChoiceWidth = 210

// accountBar is the row above every screen.
type accountBar struct {
	box    *fyne.Container
	choose *widget.Select
	add    *button
	edit   *button
	remove *button
	// names are the accounts in the order choose lists them.
	names []string
}

func (a *appWindow) newAccountBar() *accountBar {
	b := &accountBar{}
	b.choose = widget.NewSelect(nil, nil)
	b.choose.OnChanged = func(string) {
		if i := b.choose.SelectedIndex(); i >= 0 && i < len(b.names) {
			a.chooseAccount(b.names[i])
		}
	}
	b.add = newButton("Add account…", nil, a.addAccount)
	b.edit = newButton("Edit…", nil, func() { a.editAccount(a.account.Config.AccountName()) })
	b.remove = newButton("Remove…", nil, func() { a.removeAccount(a.account.Config.Account) })
	settings := newButton("", theme.SettingsIcon(), a.showSettings)
	b.box = container.NewBorder(nil, nil, widget.NewLabel("Account"), container.NewHBox(b.add, b.edit, b.remove, settings),
		// Wide enough for an account and who is signed in to it.
		container.New(fixedWidth{width: accountChoiceWidth}, b.choose))
	return b
}

// show lists the accounts of list, current chosen.
func (b *accountBar) show(list []latchapp.AccountSummary, current string) {
	b.names = b.names[:0]
	labels := make([]string, 0, len(list))
	for _, s := range list {
		b.names = append(b.names, s.Name)
		labels = append(labels, accountLabel(s))
	}
	onChanged := b.choose.OnChanged
	b.choose.OnChanged = nil // setting the list is no choice of the person's
	b.choose.SetOptions(labels)
	if i := slices.Index(b.names, current); i >= 0 {
		b.choose.SetSelectedIndex(i)
	}
	b.choose.OnChanged = onChanged
	if current == latchapp.DefaultAccount {
		b.remove.Disable()
	} else {
		b.remove.Enable()
	}
}

// accountLabel is how an account is listed: its name, and who is signed
// in to it (the profile names the provider).
func accountLabel(s latchapp.AccountSummary) string {
	switch {
	case s.Err != nil:
		return s.Name + ": cannot be used"
	case !s.SignedIn:
		return s.Name + ": not signed in"
	case s.InMemory:
		return s.Name + ": " + latchapp.Printable(s.Person.DisplayName()) + " (in memory)"
	}
	return s.Name + ": " + latchapp.Printable(s.Person.DisplayName())
}

// setupAccounts builds the account bar and starts following the accounts,
// when the window has several to show.
func (a *appWindow) setupAccounts() {
	if a.accounts == nil {
		return
	}
	a.bar = a.newAccountBar()
	a.seenActive = latchapp.ActiveAccount(a.accounts.File)
	a.refreshAccounts()
	a.background.Go(a.followAccounts)
}

// refreshAccounts lists the accounts again, off Fyne's goroutine, and
// shows them in the bar and the tray.
func (a *appWindow) refreshAccounts() {
	if a.accounts == nil {
		return
	}
	a.background.Go(func() {
		ctx, cancel := context.WithTimeout(a.ctx, 10*time.Second)
		defer cancel()
		list, err := a.accounts.List(ctx)
		if err != nil {
			a.log.Info("the accounts cannot be listed", "error", err)
			return
		}
		a.do(func() {
			a.accountList = a.withSessionInMemory(list)
			a.bar.show(a.accountList, a.account.Config.Account)
			a.updateTray()
		})
	})
}

// withSessionInMemory is list with the account shown as this window
// holds it when its session is in memory only: the keychain, which the
// list reads, knows nothing of it.
func (a *appWindow) withSessionInMemory(list []latchapp.AccountSummary) []latchapp.AccountSummary {
	if !a.inMemory || !a.signedIn() {
		return list
	}
	for i, s := range list {
		if s.Name == a.account.Config.Account {
			list[i].SignedIn, list[i].Person, list[i].Err, list[i].InMemory = true, a.person, nil, true
		}
	}
	return list
}

// followAccounts follows what other programs do to the accounts: a
// switch (latch switch), an account added or removed.
func (a *appWindow) followAccounts() {
	// The config file's folder is watched; where it cannot be, it is
	// looked at every accountsPoll. A look now and then besides catches
	// a change a file system did not tell.
	period := accountsRecheck
	changes, err := watchFolder(a.ctx, filepath.Dir(a.accounts.File))
	if err != nil {
		a.log.Info("the config folder cannot be watched: it is looked at every second", "error", err)
		period = accountsPoll
	}
	t := time.NewTicker(period)
	defer t.Stop()
	names, _ := a.accounts.Names()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-changes:
		case <-t.C:
		}
		now, err := a.accounts.Names()
		if err != nil {
			continue // a file being edited: the next look reads it whole
		}
		changed := !slices.Equal(now, names)
		names = now
		a.do(func() {
			// The active account is read here, beside seenActive: read
			// before a switch made in this window and compared after it,
			// it would switch back.
			active := latchapp.ActiveAccount(a.accounts.File)
			if active != a.seenActive {
				a.seenActive = active
				a.switchTo(active)
			}
			if !slices.Contains(now, a.account.Config.Account) {
				a.switchTo(active) // removed elsewhere (which made the default active)
			}
			if changed {
				a.refreshAccounts()
			}
		})
	}
}

// chooseAccount is the person's choice of an account: shown, and made the
// active one.
func (a *appWindow) chooseAccount(name string) {
	if err := a.accounts.Switch(name); err != nil {
		a.showError("Not switched", err)
		return
	}
	a.seenActive = name
	a.switchTo(name)
}

// chooseAccountAt chooses the account listed n-th (from 0), for Ctrl+1…9.
func (a *appWindow) chooseAccountAt(n int) {
	if a.bar != nil && n < len(a.bar.names) && a.dialog == nil {
		a.chooseAccount(a.bar.names[n])
	}
}

// switchTo shows the account name: it is opened off Fyne's goroutine,
// then takes the place of the account shown, and its launch decision
// shows its profile or its sign-in screen.
func (a *appWindow) switchTo(name string) {
	if a.accounts == nil || name == a.account.Config.Account || name == a.switching {
		return
	}
	a.reopen(name)
}

// reopen opens the account name, as switchTo does, even when it is the
// one shown: its settings changed.
func (a *appWindow) reopen(name string) {
	a.switching = name
	a.background.Go(func() {
		next, err := a.accounts.Open(a.ctx, name)
		a.do(func() {
			if a.switching != name {
				if next != nil {
					next.Close() // another switch came after this one
				}
				return
			}
			a.switching = ""
			if err != nil {
				a.showError("Cannot show the account "+name, err)
				a.refreshAccounts() // the bar shows the account still shown
				return
			}
			a.replaceAccount(next)
		})
	})
}

// replaceAccount makes next the window's account, and shows it.
func (a *appWindow) replaceAccount(next *latchapp.Account) {
	old := a.account
	if a.unsubscribe != nil {
		a.unsubscribe()
	}
	a.account, a.log = next, next.Log
	a.canSignOutAtProvider, a.knowsProviderSignOut = false, false
	a.subscribe()
	a.log.Info("switched account", "account", next.Config.Account)
	a.background.Go(func() { old.Close() })
	a.decision = nil
	a.launch()
	a.refreshAccounts()
}

// removeAccount asks, then signs out of the account name and removes it;
// the default account is shown after.
func (a *appWindow) removeAccount(name string) {
	if a.accounts == nil || name == latchapp.DefaultAccount {
		return
	}
	a.confirm(fmt.Sprintf("Remove the account %s?", name),
		"Latch will sign out of it, revoking its session at the provider, and take it out of the config file.", "Remove", func() {
			a.background.Go(func() {
				ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
				defer cancel()
				err := a.accounts.Remove(ctx, name)
				a.do(func() {
					if !latchapp.SignedOut(err) {
						a.showError("Not removed", err)
						return
					}
					if a.account.Config.Account == name {
						a.seenActive = latchapp.ActiveAccount(a.accounts.File)
						a.switchTo(a.seenActive)
					}
					a.refreshAccounts()
				})
			})
		})
}

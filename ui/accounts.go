package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
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

// addAccount asks for a provider (any OpenID provider's issuer, or a
// preset's few values: see latchapp.Presets) and a client ID, checks
// them with the provider's discovery document, saves the account and
// switches to it. What is wrong is said in the dialog, which stays open.
func (a *appWindow) addAccount() {
	if a.accounts == nil || a.dialog != nil {
		return
	}
	intro := "An account is a provider and its own session. Choose the kind of provider, give what it asks for, and the client ID of Latch's application there."
	a.showAccountDialog("Add account", intro, newAddAccountDialog(), a.accounts.Add)
}

// editAccount asks for the account name's provider as addAccount does,
// filled in with the one it has, and gives it to the account in the
// config file (its other settings and the file's comments stay). The
// default account is the file's top level: the person is offered the
// file.
func (a *appWindow) editAccount(name string) {
	if a.accounts == nil || a.dialog != nil {
		return
	}
	if name == latchapp.DefaultAccount {
		file := a.accounts.File
		a.confirm("Edit the default account",
			"The default account is the settings at the top of "+file+", beside your other accounts' tables: edit them there, and Latch follows the change.",
			"Open the file", func() {
				if err := a.openFile(file); err != nil {
					a.showError("The file cannot be opened", err)
				}
			})
		return
	}
	cfg, err := a.accounts.Config(name)
	if err != nil {
		a.showError("This account cannot be edited", err)
		return
	}
	dlg := newAddAccountDialog()
	dlg.fill(name, cfg)
	intro := "Change the provider of the account " + name + ". Its other settings stay; when the provider or client changes, Latch signs out of the old one first."
	a.showAccountDialog("Edit account", intro, dlg, a.accounts.Edit)
}

// showAccountDialog shows the account dialog dlg, titled title, which
// save checks and saves; the window then shows the account.
func (a *appWindow) showAccountDialog(title, intro string, dlg *addAccountDialog, save func(context.Context, string, latchapp.Settings) (latchapp.Config, error)) {
	var d *dialog.CustomDialog
	submit := func() {
		flags := dlg.settings()
		account := strings.TrimSpace(dlg.name.Text)
		dlg.add.Disable()
		dlg.problem.SetText("Checking the provider…")
		dlg.problem.Importance = widget.MediumImportance
		dlg.problem.Show()
		a.background.Go(func() {
			ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
			defer cancel()
			_, err := save(ctx, account, flags)
			a.do(func() {
				dlg.add.Enable()
				if err != nil {
					a.log.Info("account not saved", "account", account, "why", latchapp.Describe(err))
					dlg.problem.Importance = widget.DangerImportance
					dlg.problem.SetText(latchapp.Describe(err))
					return
				}
				d.Hide()
				a.dialog, a.dialogConfirm = nil, nil
				if account == a.account.Config.Account {
					a.reopen(account) // the account shown, on its new provider
					return
				}
				a.chooseAccount(account)
			})
		})
	}
	dlg.onSubmit = submit
	dlg.add.OnTapped = submit
	cancel := newButton("Cancel", nil, func() {
		d.Hide()
		a.dialog, a.dialogConfirm = nil, nil
	})
	text := widget.NewLabel(intro)
	text.Wrapping = fyne.TextWrapWord
	d = dialog.NewCustomWithoutButtons(title, container.NewVBox(text, dlg.form, dlg.problem, container.NewHBox(cancel, dlg.add)), a.window)
	d.Resize(fyne.NewSize(min(560, max(480, a.window.Canvas().Size().Width-40)), 0))
	a.dialog, a.dialogConfirm = d, submit
	a.addDialog = dlg
	d.Show()
	if dlg.name.Disabled() {
		a.window.Canvas().Focus(dlg.kind)
		return
	}
	a.window.Canvas().Focus(dlg.name)
}

// anyProvider is the add-account dialog's choice of a provider by its
// issuer, beside the presets; sandboxProvider is the built-in sandbox.
const (
	anyProvider     = "Any OpenID provider"
	sandboxProvider = "Latch sandbox (demo accounts)"
)

// addAccountDialog is the add-account dialog: the account's name, the
// kind of provider (any, by its issuer, or one of latchapp.Presets), the
// fields of that kind, and the client ID.
type addAccountDialog struct {
	name     *widget.Entry
	kind     *widget.Select
	fields   map[string]*widget.Entry // by setting: "issuer", or a preset field's key
	clientID *widget.Entry
	form     *widget.Form
	problem  *widget.Label
	add      *button
	onSubmit func()
}

func newAddAccountDialog() *addAccountDialog {
	d := &addAccountDialog{name: widget.NewEntry(), clientID: widget.NewEntry(), form: widget.NewForm(), add: newButton("Add", nil, nil)}
	d.name.SetPlaceHolder("work")
	d.problem = widget.NewLabel("")
	d.problem.Wrapping = fyne.TextWrapWord
	d.problem.Importance = widget.DangerImportance
	d.problem.Hide()
	d.add.Importance = widget.HighImportance
	kinds := []string{anyProvider}
	for _, p := range latchapp.Presets {
		kinds = append(kinds, p.Title)
	}
	kinds = append(kinds, sandboxProvider)
	d.kind = widget.NewSelect(kinds, func(string) { d.layout() })
	for _, e := range []*widget.Entry{d.name, d.clientID} {
		e.OnSubmitted = func(string) { d.submit() } // Enter in a field
	}
	d.kind.SetSelected(anyProvider)
	return d
}

// fill shows the account name's provider, as cfg has it, for editing:
// its name cannot be changed.
func (d *addAccountDialog) fill(name string, cfg latchapp.Config) {
	d.name.SetText(name)
	d.name.Disable()
	d.add.SetText("Save")
	switch {
	case cfg.Sandbox:
		d.kind.SetSelected(sandboxProvider)
	case cfg.Preset != "":
		for _, p := range latchapp.Presets {
			if p.Name == cfg.Preset {
				d.kind.SetSelected(p.Title)
			}
		}
		for key, v := range cfg.PresetValues {
			if e := d.fields[key]; e != nil {
				e.SetText(v)
			}
		}
	default:
		d.fields["issuer"].SetText(cfg.Issuer)
	}
	d.clientID.SetText(cfg.ClientID)
}

func (d *addAccountDialog) submit() {
	if d.onSubmit != nil {
		d.onSubmit()
	}
}

// preset is the preset chosen, nil for any provider.
func (d *addAccountDialog) preset() *latchapp.Preset {
	for i, p := range latchapp.Presets {
		if p.Title == d.kind.Selected {
			return &latchapp.Presets[i]
		}
	}
	return nil
}

// layout shows the fields of the kind chosen, keeping what was typed in
// a field that stays.
func (d *addAccountDialog) layout() {
	old := d.fields
	d.fields = map[string]*widget.Entry{}
	entry := func(key, placeholder string) *widget.Entry {
		e := old[key]
		if e == nil {
			e = widget.NewEntry()
			e.OnSubmitted = func(string) { d.submit() }
		}
		e.SetPlaceHolder(placeholder)
		d.fields[key] = e
		return e
	}
	items := []*widget.FormItem{widget.NewFormItem("Name", d.name), widget.NewFormItem("Provider", d.kind)}
	if d.kind.Selected == sandboxProvider {
		// The sandbox needs nothing more: its issuer and client are known.
		d.form.Items = items
		d.form.Refresh()
		return
	}
	if p := d.preset(); p == nil {
		items = append(items, widget.NewFormItem("Issuer", entry("issuer", "https://id.example.com/")))
	} else {
		for _, f := range p.Fields {
			item := widget.NewFormItem(fieldLabel(f), entry(f.Key, f.Example))
			item.HintText = f.Help
			if f.Default != "" {
				item.HintText += " (default " + f.Default + ")"
			}
			items = append(items, item)
		}
	}
	items = append(items, widget.NewFormItem("Client ID", d.clientID))
	d.form.Items = items
	d.form.Refresh()
}

// fieldLabel names a preset's field in the dialog: its key without the
// preset's name ("okta_auth_server": "Auth server").
func fieldLabel(f latchapp.PresetField) string {
	_, rest, _ := strings.Cut(f.Key, "_")
	label := strings.ReplaceAll(rest, "_", " ")
	switch label {
	case "url":
		return "Address"
	case "org":
		return "Org address"
	}
	return strings.ToUpper(label[:1]) + label[1:]
}

// settings are what the dialog was given, as the command line's flags
// would give them.
func (d *addAccountDialog) settings() latchapp.Settings {
	if d.kind.Selected == sandboxProvider {
		return latchapp.Settings{Sandbox: "true", Set: map[string]bool{"sandbox": true}}
	}
	// A problem names the dialog's field, not the flag it stands for.
	s := latchapp.Settings{ClientID: strings.TrimSpace(d.clientID.Text), Set: map[string]bool{"client-id": true}, Presets: map[string]string{},
		Named: map[string]string{"client-id": "the Client ID field", "issuer": "the Issuer field"}}
	p := d.preset()
	if p == nil {
		s.Issuer, s.Set["issuer"] = strings.TrimSpace(d.fields["issuer"].Text), true
		return s
	}
	for _, f := range p.Fields {
		s.Named[f.Flag()] = "the " + fieldLabel(f) + " field"
		if v := strings.TrimSpace(d.fields[f.Key].Text); v != "" {
			s.Presets[f.Key], s.Set[f.Flag()] = v, true
		}
	}
	return s
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

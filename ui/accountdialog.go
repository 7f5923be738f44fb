package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/latchapp/latch/internal/app/latchapp"
)

// The account dialog: adding an account, and editing one's provider.

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

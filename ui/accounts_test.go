package ui

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/dexprovider"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// twoAccounts gives h the sandbox as the default account (signed in as
// demo) and oidc-provider as "work" (signed in as alice).
func twoAccounts(t *testing.T, h *harness) *latchapp.Accounts {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	accounts := h.withAccounts(fmt.Sprintf("issuer = %q\nclient_id = %q\nmetadata_api = %q\n\n[accounts.work]\nissuer = %q\nclient_id = %q\n",
		h.srv.Issuer(), sandboxserver.ClientID, h.srv.MetadataAPI(), op.Issuer, oidcprovider.ClientID))
	h.signInDirectly()
	work, err := accounts.Open(t.Context(), "work")
	if err != nil {
		t.Fatal(err)
	}
	sessiontest.Login(t, work.Manager, "alice", oidcprovider.Accounts["alice"])
	work.Close()
	return accounts
}

// typeShortcut runs what the window binds to Ctrl (Cmd) with key; the
// end-to-end test presses the real keys.
func typeShortcut(t *testing.T, ui *appWindow, key fyne.KeyName) {
	want := (&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}).ShortcutName()
	for _, k := range ui.keyboard() {
		if k.shortcut != nil && k.shortcut.ShortcutName() == want {
			k.run()
			return
		}
	}
	t.Fatalf("no shortcut %s", want)
}

// showing reports whether the window shows the profile of subject in
// the account name.
func showing(ui *appWindow, name, subject string) bool {
	return ui.Screen() == ScreenProfile && ui.account.Config.Account == name && ui.person.Subject == subject
}

func TestSwitchBetweenAccounts(t *testing.T) {
	h := newHarness(t)
	accounts := twoAccounts(t, h)
	ui := h.start()
	waitFor(t, "demo's profile in the default account", func() bool { return showing(ui, "default", "sandbox|demo") })
	waitFor(t, "both accounts in the bar, with who is signed in", func() bool {
		return len(ui.bar.choose.Options) == 2 && strings.HasPrefix(ui.bar.choose.Options[1], "work: Alice Liddell") &&
			ui.bar.choose.Selected == ui.bar.choose.Options[0]
	})
	onUI(func() {
		if !ui.bar.remove.Disabled() {
			t.Error("Remove is on for the default account; want no removing it")
		}
	})

	// Ctrl+2: the second account, its profile at once.
	onUI(func() { typeShortcut(t, ui, fyne.Key2) })
	waitFor(t, "alice's profile in work", func() bool { return showing(ui, "work", "alice") })
	if got := latchapp.ActiveAccount(accounts.File); got != "work" {
		t.Fatalf("after choosing work in the window the active account is %q; want work, for the command line too", got)
	}
	// The tray lists the accounts, the one shown checked.
	var items []*fyne.MenuItem
	onUI(func() { items = ui.trayAccounts() })
	if len(items) != 3 || !items[1].Checked || items[0].Checked || items[2].Label != "Add account…" {
		t.Fatalf("tray accounts %v; want default, work (checked) and Add account…", items)
	}
	onUI(func() { items[0].Action() })
	waitFor(t, "demo's profile again, from the tray", func() bool { return showing(ui, "default", "sandbox|demo") })

	// latch switch in another program: the window follows.
	if err := latchapp.SwitchAccount(accounts.File, "work"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the switch made elsewhere", func() bool { return showing(ui, "work", "alice") })
	waitFor(t, "work chosen in the bar, and removable", func() bool {
		return strings.HasPrefix(ui.bar.choose.Selected, "work: Alice Liddell") && !ui.bar.remove.Disabled()
	})
}

// addAccountDialogOn starts the app on the sandbox's default account,
// demo signed in, and opens the add-account dialog from the bar.
func addAccountDialogOn(t *testing.T, h *harness) (*appWindow, *addAccountDialog, *latchapp.Accounts) {
	accounts := h.withAccounts(fmt.Sprintf("issuer = %q\nclient_id = %q\n", h.srv.Issuer(), sandboxserver.ClientID))
	h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return showing(ui, "default", "sandbox|demo") })
	onUI(func() { test.Tap(ui.bar.add) })
	var d *addAccountDialog
	waitFor(t, "the add-account dialog", func() bool { d = ui.addDialog; return d != nil && ui.dialog != nil })
	return ui, d, accounts
}

func TestAddAndRemoveAnAccountInTheWindow(t *testing.T) {
	h := newHarness(t)
	op := oidcprovider.Start(t, oidcprovider.Options{})
	ui, d, accounts := addAccountDialogOn(t, h)
	// A provider that is not one is said in the dialog, which stays.
	onUI(func() {
		d.name.SetText("staging")
		d.fields["issuer"].SetText(h.srv.Issuer() + "/nothing-here")
		d.clientID.SetText(oidcprovider.ClientID)
		test.Tap(d.add)
	})
	waitFor(t, "the problem said", func() bool {
		return strings.Contains(d.problem.Text, "cannot be used") && ui.dialog != nil && !d.add.Disabled()
	})
	onUI(func() {
		if !strings.Contains(d.problem.Text, "(from the Issuer field)") || strings.Contains(d.problem.Text, "--") {
			t.Errorf("the dialog says %q; want the problem to name the Issuer field, not a flag", d.problem.Text)
		}
	})
	if b, _ := os.ReadFile(accounts.File); strings.Contains(string(b), "staging") {
		t.Fatal("an account whose provider failed was saved")
	}
	onUI(func() {
		ui.openURL = testbrowser.NewBrowser("bob", oidcprovider.Accounts["bob"]).OpenURL // for the sign-in to come
		d.fields["issuer"].SetText(op.Issuer)
		test.Tap(d.add)
	})
	waitFor(t, "the new account's sign-in screen", func() bool {
		return ui.dialog == nil && ui.account.Config.Account == "staging" && ui.Screen() == ScreenSignIn
	})
	if b, _ := os.ReadFile(accounts.File); !strings.Contains(string(b), "[accounts.staging]") || latchapp.ActiveAccount(accounts.File) != "staging" {
		t.Fatalf("after Add the config file is\n%s\nand the active account %q; want staging saved and active", b, latchapp.ActiveAccount(accounts.File))
	}
	// Sign in to it, then remove it: signed out, gone, the default shown.
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "bob's profile in staging", func() bool { return showing(ui, "staging", "bob") })
	staging, err := accounts.Open(t.Context(), "staging")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := staging.Manager.Held(t.Context())
	staging.Close()
	if err != nil {
		t.Fatal(err)
	}
	onUI(func() { test.Tap(ui.bar.remove) })
	tapDialogButton(t, ui.window, "Remove")
	waitFor(t, "the default account after the removal", func() bool { return showing(ui, "default", "sandbox|demo") })
	if b, _ := os.ReadFile(accounts.File); strings.Contains(string(b), "staging") {
		t.Fatalf("the removed account is still in the config file:\n%s", b)
	}
	if code := oidcprovider.RefreshError(t, op.Issuer, bob.RefreshToken); code != "invalid_grant" {
		t.Fatalf("the removed account's refresh token answered %q at the provider, want invalid_grant (revoked)", code)
	}
}

func TestSignOutAtTheProviderLetsSomeoneElseSignIn(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	waitFor(t, "the sign-in screen", func() bool { return ui.Screen() == ScreenSignIn })
	signIn := func() {
		t.Helper()
		onUI(func() { test.Tap(ui.signIn.browser) })
		waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
		h.browser.Result(t)
	}
	signIn()
	waitFor(t, "the provider's sign-out learnt", func() bool { return ui.canSignOutAtProvider })

	// Signed out here alone: the sandbox's browser session signs demo in
	// again without the form.
	onUI(func() { ui.signOut() })
	onUI(func() {
		if ui.signOutChoice == nil || ui.signOutChoice.Checked {
			t.Fatal("the sign-out question offers no sign-out at the provider, or offers it checked the first time")
		}
		ui.dialogConfirm()
	})
	waitFor(t, "signed out", func() bool { return ui.Screen() == ScreenSignIn && ui.signIn.message.Text == "You are signed out." })
	signIn()
	if n := h.browser.SignInForms(); n != 1 {
		t.Fatalf("after a sign-out here alone the provider showed its form (%d forms); want the same person signed in again", n)
	}
	// Unless the person asks to sign in as someone else.
	onUI(func() { ui.signOut() })
	onUI(func() { ui.dialogConfirm() })
	waitFor(t, "signed out", func() bool { return ui.Screen() == ScreenSignIn && ui.signIn.message.Text == "You are signed out." })
	onUI(func() { test.Tap(ui.signIn.someoneElse) })
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	h.browser.Result(t)
	if n := h.browser.SignInForms(); n != 2 {
		t.Fatalf("Sign in as someone else filled in %d forms in all, want 2 (the provider's form)", n)
	}

	onUI(func() { ui.signOut() })
	onUI(func() {
		ui.signOutChoice.SetChecked(true)
		ui.dialogConfirm()
	})
	waitFor(t, "signed out at the provider", func() bool {
		return ui.Screen() == ScreenSignIn && ui.signIn.message.Text == "You are signed out, here and at the provider."
	})
	if _, body := h.browser.Result(t); !strings.Contains(body, "You are signed out at the provider too") {
		t.Fatalf("the browser ended on %s", body)
	}
	signIn()
	if n := h.browser.SignInForms(); n != 3 {
		t.Fatalf("after signing out at the provider the next sign-in filled in %d forms in all, want 3", n)
	}
	// The choice is remembered.
	onUI(func() { ui.signOut() })
	onUI(func() {
		if !ui.signOutChoice.Checked {
			t.Error("the sign-out question forgot the choice of signing out at the provider")
		}
		ui.dialog.Hide()
		ui.dialog, ui.dialogConfirm = nil, nil
	})
}

// overlayText is the text of the labels in the topmost overlay (a dialog).
func overlayText(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	return labelsText(top)
}

// labelsText is the text of the labels in o, a line each.
func labelsText(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			b.WriteString(v.Text + "\n")
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return b.String()
}

// A provider with no sign-out in the browser (Dex): the sign-out question
// says so, and offers no choice that cannot be kept.
func TestSignOutSaysTheProviderCannotSignOutInTheBrowser(t *testing.T) {
	dex := dexprovider.Start(t, dexprovider.Options{})
	h := newHarness(t)
	h.withAccounts(fmt.Sprintf("issuer = %q\nclient_id = %q\n", dex.Issuer, dexprovider.ClientID))
	h.browser = testbrowser.NewBrowser(dexprovider.Account.Email, dexprovider.Account.Password)
	ui := h.start()
	waitFor(t, "the sign-in screen", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	waitFor(t, "the provider's sign-out learnt", func() bool { return ui.knowsProviderSignOut })
	onUI(func() { ui.signOut() })
	var text string
	waitFor(t, "the question", func() bool { text = overlayText(ui.window); return text != "" })
	if !strings.Contains(text, "This provider offers no sign-out in the browser") || ui.signOutChoice != nil {
		t.Fatalf("the sign-out question says %q, with choice %v; want it to say the provider offers no sign-out in the browser, and no such choice", text, ui.signOutChoice)
	}
	onUI(func() { ui.dialogConfirm() })
	waitFor(t, "signed out", func() bool { return ui.Screen() == ScreenSignIn })
}

// The add-account dialog offers any provider by its issuer, each preset
// by its fields, and the sandbox, keeps what was typed in a field that
// stays, and gives the settings as the command line's flags would.
func TestAddAccountDialogOffersThePresets(t *testing.T) {
	test.NewTempApp(t)
	d := newAddAccountDialog()
	if got, want := len(d.kind.Options), 2+len(latchapp.Presets); got != want {
		t.Fatalf("the dialog offers %d kinds of provider (%q); want %d", got, d.kind.Options, want)
	}
	labels := func() []string {
		var l []string
		for _, item := range d.form.Items {
			l = append(l, item.Text)
		}
		return l
	}
	if got := strings.Join(labels(), ", "); got != "Name, Provider, Issuer, Client ID" {
		t.Errorf("for any provider the dialog asks for %s", got)
	}
	d.kind.SetSelected("Keycloak")
	if got := strings.Join(labels(), ", "); got != "Name, Provider, Address, Realm, Client ID" {
		t.Errorf("for Keycloak the dialog asks for %s", got)
	}
	test.Type(d.fields["keycloak_url"], "https://sso.example.com")
	test.Type(d.fields["keycloak_realm"], "staff")
	test.Type(d.clientID, "latch")
	s := d.settings()
	if s.Presets["keycloak_url"] != "https://sso.example.com" || s.Presets["keycloak_realm"] != "staff" || !s.Set["keycloak-url"] || !s.Set["keycloak-realm"] || s.ClientID != "latch" || s.Set["issuer"] {
		t.Errorf("the Keycloak fields gave %+v", s)
	}
	d.kind.SetSelected("Okta")
	if got := strings.Join(labels(), ", "); got != "Name, Provider, Org address, Auth server, Client ID" {
		t.Errorf("for Okta the dialog asks for %s", got)
	}
	if s := d.settings(); len(s.Presets) != 0 || s.ClientID != "latch" {
		t.Errorf("switching to Okta kept %v; want no Keycloak value, the client ID kept", s.Presets)
	}
	d.kind.SetSelected("Keycloak")
	if got := d.fields["keycloak_realm"].Text; got != "" {
		t.Errorf("back on Keycloak, the realm reads %q; a field left is new", got)
	}
}

// The sandbox can be picked as an account's provider in the dialog: it
// needs no issuer nor client ID, and the account is saved as sandbox =
// true.
func TestAddASandboxAccount(t *testing.T) {
	ui, d, accounts := addAccountDialogOn(t, newHarness(t))
	onUI(func() {
		d.name.SetText("demo")
		d.kind.SetSelected(sandboxProvider)
		if len(d.form.Items) != 2 {
			t.Errorf("with the sandbox the dialog asks %d things; want the name and the provider alone", len(d.form.Items))
		}
		test.Tap(d.add)
	})
	waitFor(t, "the new account shown", func() bool { return ui.dialog == nil && ui.account.Config.Account == "demo" })
	if b, _ := os.ReadFile(accounts.File); !strings.Contains(string(b), "[accounts.demo]") || !strings.Contains(string(b), "sandbox = true") {
		t.Fatalf("the config file is\n%s\nwant [accounts.demo] with sandbox = true", b)
	}
}

// Edit… shows the account's provider filled in; a provider that cannot
// be used is said and nothing changes; a new provider signs the old
// session out (revoked), keeps the file's comments and the account's
// other settings, and shows the account on its new provider.
func TestEditAnAccountInTheWindow(t *testing.T) {
	h := newHarness(t)
	accounts := twoAccounts(t, h)
	text, _ := os.ReadFile(accounts.File)
	withComment := strings.Replace(string(text), "[accounts.work]\n", "# the office\n[accounts.work]\naudience = \"https://orders.example.test/\"\n", 1)
	if err := os.WriteFile(accounts.File, []byte(withComment), 0o600); err != nil {
		t.Fatal(err)
	}
	work, err := accounts.Open(t.Context(), "work")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := work.Manager.Held(t.Context())
	opIssuer := work.Config.Issuer
	work.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := accounts.Switch("work"); err != nil {
		t.Fatal(err)
	}
	ui := h.start()
	waitFor(t, "work's profile", func() bool { return showing(ui, "work", "alice") })
	onUI(func() { test.Tap(ui.bar.edit) })
	var d *addAccountDialog
	waitFor(t, "the edit dialog", func() bool { d = ui.addDialog; return d != nil && ui.dialog != nil })
	onUI(func() {
		if d.name.Text != "work" || !d.name.Disabled() || d.kind.Selected != anyProvider || d.clientID.Text != oidcprovider.ClientID || !strings.HasPrefix(d.fields["issuer"].Text, "http://127.0.0.1") {
			t.Errorf("the edit dialog shows name %q (disabled %v), provider %q, issuer %q, client %q; want work's", d.name.Text, d.name.Disabled(), d.kind.Selected, d.fields["issuer"].Text, d.clientID.Text)
		}
		if d.add.Text != "Save" {
			t.Errorf("the edit dialog's button says %q; want Save", d.add.Text)
		}
		d.fields["issuer"].SetText(h.srv.Issuer() + "/nothing-here")
		test.Tap(d.add)
	})
	waitFor(t, "the problem said", func() bool { return strings.Contains(d.problem.Text, "cannot be used") && !d.add.Disabled() })
	if got, _ := os.ReadFile(accounts.File); string(got) != withComment {
		t.Fatalf("a provider that cannot be used changed the file:\n%s", got)
	}
	onUI(func() {
		d.kind.SetSelected(sandboxProvider)
		test.Tap(d.add)
	})
	waitFor(t, "work on the sandbox", func() bool {
		return ui.dialog == nil && ui.account.Config.Account == "work" && ui.account.Config.Sandbox && ui.Screen() == ScreenSignIn
	})
	got, _ := os.ReadFile(accounts.File)
	for _, want := range []string{"# the office\n[accounts.work]\nsandbox = true\naudience = \"https://orders.example.test/\"\n"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("after the edit the file is\n%s\nwant it to hold %q", got, want)
		}
	}
	if strings.Contains(string(got), oidcprovider.ClientID) {
		t.Errorf("after the edit the file still names the old client:\n%s", got)
	}
	if code := oidcprovider.RefreshError(t, opIssuer, alice.RefreshToken); code != "invalid_grant" {
		t.Errorf("the old provider's refresh token answered %q; want invalid_grant (revoked when the provider changed)", code)
	}
	// The default account is the file's top level: Edit offers the file.
	var opened string
	onUI(func() {
		ui.openPath = func(p string) error { opened = p; return nil }
		ui.editAccount(latchapp.DefaultAccount)
	})
	tapDialogButton(t, ui.window, "Open the file")
	waitFor(t, "the file opened", func() bool { return opened == accounts.File })
}

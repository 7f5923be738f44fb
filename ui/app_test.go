package ui

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"latch/cli"
	"latch/internal/oidcprovider"
	"latch/internal/testbrowser"
	"latch/internal/sandboxtest"
	"latch/profile"
	"latch/sandbox"
	"latch/session"
)

// uiMu stands for Fyne's goroutine in widget tests: the test driver runs
// fyne.Do callbacks on the caller's goroutine, so the app's updates and
// the test's reads are serialised here instead.
var uiMu sync.Mutex

// onUI runs f as if on Fyne's goroutine.
func onUI(f func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	f()
}

// waitFor polls cond, which reads widgets, on Fyne's goroutine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ok := false
		onUI(func() { ok = cond() })
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// counter counts the token requests a Manager makes.
type counter struct{ refreshes atomic.Int32 }

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") {
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if strings.Contains(string(body), "grant_type=refresh_token") {
			c.refreshes.Add(1)
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	return http.DefaultTransport.RoundTrip(r)
}

// harness is a sandbox provider, a store and what the app is built on.
type harness struct {
	t       *testing.T
	srv     *sandbox.Server
	store   session.Store
	lock    string
	count   *counter
	browser *oidcprovider.Browser
	issuer  string
	noAPI   bool
}

func newHarness(t *testing.T) *harness { return newHarnessTTL(t, 0) }

// newHarnessTTL is a harness whose access tokens live for ttl.
func newHarnessTTL(t *testing.T, ttl time.Duration) *harness {
	t.Helper()
	srv := sandboxtest.Start(t, "", ttl)
	return &harness{t: t, srv: srv, store: &session.MemoryStore{}, lock: t.TempDir(), count: &counter{}, issuer: srv.Issuer(),
		browser: testbrowser.NewBrowser("demo", "demo")}
}

func (h *harness) session() *cli.Session {
	m, err := session.New(session.Config{
		Issuer: h.issuer, ClientID: sandbox.ClientID, Scopes: cli.Auth0Scopes, Store: h.store, LockDir: h.lock,
		HTTPClient: &http.Client{Transport: h.count, Timeout: 30 * time.Second},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { m.Close() })
	api := h.srv.MetadataAPI()
	if h.noAPI {
		api = ""
	}
	return &cli.Session{Config: cli.Config{Issuer: h.issuer, ClientID: sandbox.ClientID, Sandbox: true},
		Manager: m, Metadata: &profile.MetadataClient{BaseURL: api}}
}

// signInDirectly stores a session the way `latch login` would.
func (h *harness) signInDirectly() *session.Credentials {
	s := h.session()
	creds, err := s.Manager.LoginWithBrowser(h.t.Context(), session.BrowserLogin{OpenURL: testbrowser.NewBrowser("demo", "demo").OpenURL})
	if err != nil {
		h.t.Fatal(err)
	}
	return creds
}

// start builds and starts the app.
func (h *harness) start() *App {
	h.t.Helper()
	var a fyne.App
	onUI(func() { a = test.NewTempApp(h.t) })
	w := a.NewWindow("Latch")
	ui := NewApp(h.t.Context(), a, w, h.session())
	// Work that finishes after the test has ended touches nothing.
	stopped := false
	ui.do = func(f func()) {
		onUI(func() {
			if !stopped {
				f()
			}
		})
	}
	ui.openURL = h.browser.OpenURL
	ui.avatars = newAvatarCache(filepath.Join(h.t.TempDir(), "avatars"))
	onUI(ui.Start)
	h.t.Cleanup(func() {
		onUI(func() {
			ui.Stop()
			stopped = true
		})
	})
	return ui
}

func (h *harness) storedCreds() *session.Credentials {
	s := h.session()
	c, err := s.Manager.Current(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// rewriteStored changes the stored credentials, for states a provider
// cannot be made to produce on demand (an expired token at launch).
func (h *harness) rewriteStored(change func(c map[string]any)) {
	key := h.store.(*session.MemoryStore).Keys()[0]
	raw, _ := h.store.Get(h.t.Context(), key)
	var c map[string]any
	_ = json.Unmarshal(raw, &c)
	change(c)
	raw, _ = json.Marshal(c)
	_ = h.store.Set(h.t.Context(), key, raw)
}

// tapDialogButton taps the button labelled label in the topmost overlay.
func tapDialogButton(t *testing.T, w fyne.Window, label string) {
	t.Helper()
	var found *widget.Button
	waitFor(t, "a dialog button "+label, func() bool {
		top := w.Canvas().Overlays().Top()
		if top == nil {
			return false
		}
		found = findButton(t, top, label)
		return found != nil
	})
	onUI(func() { test.Tap(found) })
}

func findButton(t *testing.T, o fyne.CanvasObject, label string) *widget.Button {
	switch v := o.(type) {
	case *widget.Button:
		if v.Text == label {
			return v
		}
	case *fyne.Container:
		for _, c := range v.Objects {
			if b := findButton(t, c, label); b != nil {
				return b
			}
		}
	case fyne.Widget:
		r := test.TempWidgetRenderer(t, v)
		for _, c := range r.Objects() {
			if b := findButton(t, c, label); b != nil {
				return b
			}
		}
	}
	return nil
}

func TestLaunchWithoutSessionShowsSignIn(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	waitFor(t, "the sign-in screen", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() {
		if !strings.Contains(ui.signIn.provider.Text, h.issuer) || ui.signIn.message.Visible() {
			t.Errorf("provider %q, message %q", ui.signIn.provider.Text, ui.signIn.message.Text)
		}
	})
}

func TestBrowserSignInShowsProfileWithAvatar(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	waitFor(t, "the avatar", func() bool {
		_, ok := ui.profile.avatar.Objects[0].(*canvas.Image)
		return ok
	})
	onUI(func() {
		p := ui.profile
		if p.name.Text != "Dana Demo" || p.email.Text != "demo@sandbox.latch.invalid" || p.verified.Text != "✓ verified" || p.subject.Text != "sandbox|demo" || p.provider.Text != h.issuer {
			t.Errorf("profile %q %q %q %q %q", p.name.Text, p.email.Text, p.verified.Text, p.subject.Text, p.provider.Text)
		}
	})
	files, _ := os.ReadDir(ui.avatars.dir)
	if len(files) != 1 {
		t.Fatalf("avatar cache holds %d files", len(files))
	}
	raw, _ := os.ReadFile(filepath.Join(ui.avatars.dir, files[0].Name()))
	creds := h.storedCreds()
	if strings.Contains(string(raw), creds.AccessToken) || !strings.HasPrefix(string(raw), "\x89PNG") {
		t.Fatal("the avatar cache holds something other than the image")
	}
}

func TestInitialsWhenNoPicture(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	srvStop := h.srv
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	srvStop.Close() // the picture cannot be loaded now
	onUI(func() {
		if _, ok := ui.profile.avatar.Objects[0].(*fyne.Container); !ok {
			t.Error("no initials avatar while the picture loads")
		}
	})
}

func TestLaunchWithValidSessionGoesStraightToProfile(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	before := h.count.refreshes.Load()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	if h.count.refreshes.Load() != before {
		t.Fatal("a valid session was renewed at launch")
	}
	onUI(func() {
		if ui.profile.name.Text != "Dana Demo" || ui.profile.refresh.Text != "held" || !strings.HasSuffix(ui.profile.expiresIn.Text, "s") {
			t.Errorf("%q %q %q", ui.profile.name.Text, ui.profile.refresh.Text, ui.profile.expiresIn.Text)
		}
	})
}

func TestLaunchRenewsExpiredSession(t *testing.T) {
	h := newHarness(t)
	old := h.signInDirectly()
	h.rewriteStored(func(c map[string]any) { c["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339Nano) })
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	if h.count.refreshes.Load() == 0 {
		t.Fatal("no renewal")
	}
	if h.storedCreds().RefreshToken == old.RefreshToken {
		t.Fatal("the renewal was not stored")
	}
}

func TestLaunchAfterRevokedSessionShowsReason(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	h.rewriteStored(func(c map[string]any) {
		c["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339Nano)
		c["refresh_token"] = "revoked-long-ago"
	})
	ui := h.start()
	waitFor(t, "sign-in with a reason", func() bool {
		return ui.Screen() == ScreenSignIn && strings.Contains(ui.signIn.message.Text, "sign in again")
	})
}

func TestDeviceSignIn(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.device) })
	var complete string
	waitFor(t, "the device code", func() bool {
		s := ui.signIn
		if s.userCode.Text == "" || s.qrImage.Image == nil || !strings.Contains(s.countdown.Text, "expires in") {
			return false
		}
		complete = s.link.URL.String() + "?user_code=" + url.QueryEscape(s.userCode.Text)
		return s.devicePanel.Visible() && s.cancelBtn.Visible()
	})
	if code, body, err := testbrowser.NewBrowser("ada", "lovelace").Visit(complete); err != nil || code != 200 || !strings.Contains(body, "signed in") {
		t.Fatalf("device page %d %v", code, err)
	}
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile && ui.profile.subject.Text == "sandbox|ada" })
	onUI(func() {
		if ui.profile.verified.Text != "not verified" {
			t.Errorf("verified %q", ui.profile.verified.Text)
		}
	})
}

func TestCancelAndEscape(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	ui.openURL = func(context.Context, string) error { return nil } // the person never signs in
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "waiting", func() bool { return ui.signIn.waiting.Visible() && !ui.signIn.buttons.Visible() })
	onUI(func() { test.Tap(ui.signIn.cancelBtn) })
	waitFor(t, "cancelled", func() bool {
		return ui.signIn.buttons.Visible() && ui.signIn.message.Text == "Sign-in cancelled."
	})
	// Enter starts, Escape cancels.
	onUI(func() { ui.window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	waitFor(t, "waiting again", func() bool { return ui.signIn.waiting.Visible() })
	onUI(func() { ui.window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	waitFor(t, "cancelled again", func() bool { return ui.signIn.buttons.Visible() })
}

func TestAccessDeniedShownInPlace(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	ui.openURL = sandboxtest.CancelAtSignIn(h.issuer)
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "access denied", func() bool { return strings.HasPrefix(ui.signIn.message.Text, "Access was denied.") })
}

func TestProviderUnreachableShownInPlace(t *testing.T) {
	h := newHarness(t)
	h.issuer = "http://127.0.0.1:1"
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "unreachable", func() bool { return strings.Contains(ui.signIn.message.Text, "cannot be reached") })
}

// lockedStore is a keychain that refuses writes, as a locked one does.
type lockedStore struct{ session.MemoryStore }

func (*lockedStore) Set(context.Context, string, []byte) error {
	return errors.Join(session.ErrKeychainUnavailable, errors.New("locked"))
}

func TestKeychainUnavailableShownInPlace(t *testing.T) {
	h := newHarness(t)
	h.store = &lockedStore{}
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "keychain message", func() bool { return strings.Contains(ui.signIn.message.Text, "Unlock your keyring") })
}

func TestRenewNow(t *testing.T) {
	h := newHarness(t)
	first := h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	onUI(func() { test.Tap(ui.profile.renew) })
	waitFor(t, "renewed", func() bool {
		return ui.profile.creds.RefreshToken != first.RefreshToken && ui.profile.renew.Disabled() == false
	})
	onUI(func() {
		if ui.profile.lastRenewal.Text == "" || ui.profile.state.Text != "signed in" {
			t.Errorf("last renewal %q state %q", ui.profile.lastRenewal.Text, ui.profile.state.Text)
		}
	})
}

func TestSignOut(t *testing.T) {
	h := newHarness(t)
	creds := h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	onUI(func() { test.Tap(ui.profile.signOut) })
	tapDialogButton(t, ui.window, "Sign out")
	waitFor(t, "signed out", func() bool {
		return ui.Screen() == ScreenSignIn && ui.signIn.message.Text == "You are signed out."
	})
	if keys := h.store.(*session.MemoryStore).Keys(); len(keys) != 0 {
		t.Fatalf("store still holds %v", keys)
	}
	p, _ := session.Discover(t.Context(), nil, h.issuer)
	resp, err := http.PostForm(p.TokenEndpoint, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {creds.RefreshToken}, "client_id": {sandbox.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("refresh token after sign-out: %d", resp.StatusCode)
	}
}

// metadataTab opens the metadata tab and waits for it to load.
func metadataTab(t *testing.T, ui *App) *Metadata {
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	onUI(func() { ui.tabs.SelectIndex(1) })
	waitFor(t, "metadata loaded", func() bool { return ui.metadata.loaded != nil && !ui.metadata.busy })
	return ui.metadata
}

func serverMetadata(t *testing.T, h *harness) map[string]any {
	s := h.session()
	creds, err := s.Manager.Credentials(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	md, err := s.Metadata.Get(t.Context(), creds)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

func setServerMetadata(t *testing.T, h *harness, changes map[string]any) {
	s := h.session()
	creds, _ := s.Manager.Credentials(t.Context(), 0)
	if _, err := s.Metadata.Patch(t.Context(), creds, changes); err != nil {
		t.Fatal(err)
	}
}

func TestMetadataEditor(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	setServerMetadata(t, h, map[string]any{"theme": "dark", "count": 2, "prefs": map[string]any{"a": 1}, "beta": true, "gone": "x"})
	ui := h.start()
	m := metadataTab(t, ui)
	row := func(key string) *metaRow {
		for _, r := range m.rows {
			if r.key.Text == key {
				return r
			}
		}
		t.Fatalf("no row %q", key)
		return nil
	}
	onUI(func() {
		if len(m.rows) != 5 || row("count").kind.Selected != kindNumber || row("beta").kind.Selected != kindBool ||
			row("prefs").kind.Selected != kindJSON || row("theme").value.Text != "dark" {
			t.Fatalf("rows do not show the metadata")
		}
		if !m.save.Disabled() {
			t.Error("Save is enabled with nothing changed")
		}
		// Invalid input disables Save and says why, next to the field.
		row("theme").key.SetText("theme.x")
		if !m.save.Disabled() || !strings.Contains(row("theme.x").problem.Text, "must not contain") {
			t.Errorf("dot in key: %q", row("theme.x").problem.Text)
		}
		row("theme.x").key.SetText("theme")
		row("count").value.SetText("many")
		if !m.save.Disabled() || !strings.Contains(m.problem.Text, "not a number") {
			t.Errorf("number: %q", m.problem.Text)
		}
		row("count").value.SetText("3")
		row("prefs").value.SetText("{broken")
		if !m.save.Disabled() || !strings.Contains(m.problem.Text, "not valid JSON") {
			t.Errorf("json: %q", m.problem.Text)
		}
		row("prefs").value.SetText(`{"b":2}`)
		test.Tap(m.add)
		r := m.rows[len(m.rows)-1]
		test.Type(r.key, "beta") // the new row has the focus
		if !m.save.Disabled() || !strings.Contains(m.problem.Text, "appears twice") {
			t.Errorf("duplicate: %q", m.problem.Text)
		}
		r.key.SetText("lang")
		r.value.SetText("en")
		test.Tap(row("gone").remove)
		if m.save.Disabled() {
			t.Fatalf("Save disabled with valid edits: %q", m.problem.Text)
		}
		// Ctrl+S in a field saves.
		r.value.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault})
	})
	waitFor(t, "saved", func() bool { return strings.HasPrefix(m.status.Text, "Saved at") })
	md := serverMetadata(t, h)
	want := `{"beta":true,"count":3,"lang":"en","prefs":{"b":2},"theme":"dark"}`
	if got, _ := json.Marshal(md); string(got) != want {
		t.Fatalf("server has %s, want %s", got, want)
	}
	onUI(func() {
		if !m.save.Disabled() || len(m.rows) != 5 {
			t.Error("the saved state is not shown")
		}
	})
}

func TestMetadataSmallestPatch(t *testing.T) {
	if got := diff(map[string]any{"a": 1.0, "b": "x", "c": map[string]any{"d": true}}, map[string]any{"a": 1.0, "b": "y", "e": false}); len(got) != 3 ||
		got["b"] != "y" || got["c"] != nil || got["e"] != false {
		t.Fatalf("diff %v", got)
	}
	if _, ok := diff(map[string]any{"a": 1.0}, map[string]any{"a": 1.0})["a"]; ok {
		t.Fatal("an unchanged key is sent")
	}
}

func TestMetadataConflict(t *testing.T) {
	for _, choice := range []string{"Reload", "Overwrite"} {
		t.Run(choice, func(t *testing.T) {
			h := newHarness(t)
			h.signInDirectly()
			setServerMetadata(t, h, map[string]any{"color": "red"})
			ui := h.start()
			m := metadataTab(t, ui)
			setServerMetadata(t, h, map[string]any{"color": "green", "other": 1}) // someone else
			onUI(func() {
				m.rows[0].value.SetText("blue")
				test.Tap(m.save)
			})
			tapDialogButton(t, ui.window, choice)
			if choice == "Reload" {
				waitFor(t, "reloaded", func() bool { return strings.HasPrefix(m.status.Text, "Loaded at") && len(m.rows) == 2 })
				if md := serverMetadata(t, h); md["color"] != "green" {
					t.Fatalf("reload changed the server: %v", md)
				}
				return
			}
			waitFor(t, "saved", func() bool { return strings.HasPrefix(m.status.Text, "Saved at") })
			if md := serverMetadata(t, h); md["color"] != "blue" || md["other"] != nil {
				t.Fatalf("overwrite: %v", md)
			}
		})
	}
}

func TestMetadataSaveFailureKeepsEdits(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	ui := h.start()
	m := metadataTab(t, ui)
	onUI(func() {
		test.Tap(m.add)
		m.rows[0].key.SetText("k")
		m.rows[0].value.SetText("v")
	})
	h.srv.Close() // the provider goes away
	onUI(func() { test.Tap(m.save) })
	waitFor(t, "the error", func() bool { return strings.HasPrefix(m.status.Text, "Not saved") })
	onUI(func() {
		if len(m.rows) != 1 || m.rows[0].value.Text != "v" || m.save.Disabled() {
			t.Error("the edits were lost")
		}
	})
}

func TestNoMetadataAPI(t *testing.T) {
	h := newHarness(t)
	h.noAPI = true
	h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	onUI(func() {
		ui.tabs.SelectIndex(1)
		if !ui.metadata.noAPI.Visible() || !strings.Contains(ui.metadata.noAPI.Text, "offers no metadata API") {
			t.Error("no message about the missing metadata API")
		}
	})
}

func TestPreferencesKeepNoSecret(t *testing.T) {
	h := newHarness(t)
	creds := h.signInDirectly()
	ui := h.start()
	metadataTab(t, ui)
	onUI(ui.onClose)
	p := ui.fyne.Preferences()
	if p.String(prefLastTab) != ScreenMetadata || p.Float(prefWidth) == 0 {
		t.Fatalf("preferences: tab %q width %v", p.String(prefLastTab), p.Float(prefWidth))
	}
	for _, key := range []string{prefLastTab, prefWidth, prefHeight} {
		if v := p.String(key); strings.Contains(v, creds.AccessToken) || strings.Contains(v, creds.RefreshToken) {
			t.Fatal("a token in the preferences")
		}
	}
}

func TestSignOutByKeyboard(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	// Escape dismisses the question; nothing happens.
	onUI(func() { ui.signOut() })
	onUI(func() { ui.window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	onUI(func() {
		if ui.dialog != nil || ui.Screen() != ScreenProfile {
			t.Fatal("Escape did not dismiss the question")
		}
	})
	// Asked again (Ctrl+Shift+Q, driven with real key events in the
	// end-to-end test), Enter confirms.
	onUI(func() { ui.signOut() })
	onUI(func() {
		if ui.dialog == nil {
			t.Fatal("no question asked")
		}
		ui.window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	waitFor(t, "signed out", func() bool { return ui.Screen() == ScreenSignIn })
}

func TestSessionPanelFollowsProactiveRenewal(t *testing.T) {
	h := newHarnessTTL(t, 16*time.Second) // long enough that launch does not renew
	first := h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	onUI(func() {
		if ui.profile.creds.RefreshToken != first.RefreshToken {
			t.Fatal("renewed at launch; the test wants the scheduler to do it")
		}
	})
	// Nobody touches anything: the scheduler renews, and the panel shows it.
	waitFor(t, "a renewal shown in the panel", func() bool {
		return ui.profile.creds.RefreshToken != first.RefreshToken && ui.profile.expiry.After(first.Expiry) &&
			ui.profile.state.Text == "signed in"
	})
	onUI(func() {
		if ui.profile.expiresIn.Text == "expired" {
			t.Error("the countdown shows an expired token after renewal")
		}
	})
}

func TestSignInTimesOut(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	ui.openURL = func(context.Context, string) error { return nil } // the person walks away
	ui.signInTimeout = 300 * time.Millisecond
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "timed out", func() bool {
		return ui.signIn.buttons.Visible() && strings.Contains(ui.signIn.message.Text, "timed out")
	})
}

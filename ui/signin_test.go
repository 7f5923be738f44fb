package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/internal/testing/testbrowser"
	"github.com/latchapp/latch/session"
)

// TestDeviceSignIn signs in on "another device" with the sandbox, whose
// address is on this computer: the screen says so, offers no QR code a
// phone could not open, and shows the code and its countdown.
func TestDeviceSignIn(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.device) })
	var complete string
	waitFor(t, "the device code", func() bool {
		s := ui.signIn
		if s.userCode.Text == "" || !strings.Contains(s.countdown.Text, "expires in") {
			return false
		}
		complete = s.link.URL.String() + "?user_code=" + url.QueryEscape(s.userCode.Text)
		return s.devicePanel.Visible() && s.cancelBtn.Visible()
	})
	onUI(func() {
		s := ui.signIn
		if !s.localNote.Visible() || s.qrImage.Visible() || !strings.Contains(s.deviceIntro.Text, "this computer") {
			t.Errorf("for the sandbox's address the screen says %q, note shown %t, QR code shown %t; want 'this computer', the note, no QR code",
				s.deviceIntro.Text, s.localNote.Visible(), s.qrImage.Visible())
		}
		if !regexp.MustCompile(`^The code expires in \d+ min\.$`).MatchString(s.countdown.Text) {
			t.Errorf("the countdown says %q; want 'The code expires in N min.'", s.countdown.Text)
		}
		ui.window.Content().Refresh()
		linesInside(t, ui.window, s.devicePanel, "the device code")
	})
	if code, body, err := testbrowser.NewBrowser("ada", "lovelace").Visit(complete); err != nil || code != 200 || !strings.Contains(body, "signed in") {
		t.Fatalf("device page ended on %d, %v; want 200 saying signed in", code, err)
	}
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile && ui.profile.subject.Text == "sandbox|ada" })
	onUI(func() {
		if ui.profile.verified.Text != "not verified" {
			t.Errorf("verified %q, want 'not verified' for Ada", ui.profile.verified.Text)
		}
	})
}

// TestDeviceCodeForAnotherDevice: a provider's address on the network
// comes with a QR code of the complete address and no note.
func TestDeviceCodeForAnotherDevice(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	d := &session.DeviceLogin{
		UserCode:                "WDJB-MJHT",
		VerificationURI:         "https://login.example.com/activate",
		VerificationURIComplete: "https://login.example.com/activate?user_code=WDJB-MJHT",
		Expiry:                  time.Now().Add(10 * time.Minute),
	}
	onUI(func() {
		s := ui.signIn
		ctx, ok := s.begin("Asking the provider for a code…")
		if !ok {
			t.Fatal("no flow could begin")
		}
		s.showDeviceCode(ctx, d)
		if s.localNote.Visible() || !s.qrImage.Visible() || s.qrImage.Image == nil || s.deviceIntro.Text != "On another device, open:" {
			t.Errorf("for %s the screen says %q, note shown %t, QR code shown %t; want 'On another device', a QR code, no note",
				d.VerificationURI, s.deviceIntro.Text, s.localNote.Visible(), s.qrImage.Visible())
		}
		s.onCancel()
	})
}

func TestCancelAndEscape(t *testing.T) {
	h := newHarness(t)
	h.open = func(context.Context, string) error { return nil } // the person never signs in
	ui := h.start()
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
	h.open = sandboxtest.CancelAtSignIn(h.issuer)
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "access denied", func() bool { return strings.HasPrefix(ui.signIn.message.Text, "Access was denied") })
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
type lockedStore struct{ sessiontest.Store }

func (*lockedStore) Set(context.Context, string, []byte) error {
	return errors.Join(session.ErrKeychainUnavailable, errors.New("locked"))
}

func TestKeychainUnavailableShownInPlace(t *testing.T) {
	h := newHarness(t)
	store := &lockedStore{}
	h.store = store
	var trips atomic.Int32
	h.open = func(ctx context.Context, u string) error {
		trips.Add(1)
		return testbrowser.NewBrowser("demo", "demo").OpenURL(ctx, u)
	}
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "the keychain message and its choices", func() bool {
		return strings.Contains(ui.signIn.message.Text, "Unlock your keyring") && ui.signIn.keychainHelp.Visible()
	})
	// The person chooses to stay signed in until they quit: the sign-in
	// already made is kept, in memory only, with no second browser trip.
	onUI(func() { test.Tap(ui.signIn.keepInMemory) })
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile && ui.profile.subject.Text == demoUser })
	if keys := store.Keys(); len(keys) != 0 {
		t.Fatalf("the keychain holds %v, want nothing: the session is in memory only", keys)
	}
	if n := trips.Load(); n != 1 {
		t.Errorf("the browser was opened %d times; want once: the tokens it brought are kept", n)
	}
	onUI(func() {
		if text := shownText(ui.profile.scroll); !strings.Contains(text, "in memory only, until Latch quits") {
			t.Errorf("the profile shows %q; want it to say the session is kept in memory only", text)
		}
	})
}

func TestSignInTimesOut(t *testing.T) {
	h := newHarness(t)
	h.open = func(context.Context, string) error { return nil } // the person walks away
	h.timeout = 300 * time.Millisecond
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "timed out", func() bool {
		return ui.signIn.buttons.Visible() && strings.Contains(ui.signIn.message.Text, "timed out")
	})
}

// TestSignInWithoutABrowserShowsTheAddress: with no browser to open (no
// $BROWSER, no xdg-open), the sign-in does not end: the address is shown
// with a Copy button, and opening it elsewhere completes the sign-in.
func TestSignInWithoutABrowserShowsTheAddress(t *testing.T) {
	h := newHarness(t)
	h.open = func(context.Context, string) error {
		return fmt.Errorf("opening the browser: %w (tried xdg-open)", session.ErrNoBrowser)
	}
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	var copied string
	onUI(func() {
		ui.signIn.clipboard = func(s string) { copied = s }
		test.Tap(ui.signIn.browser)
	})
	var address string
	waitFor(t, "the address", func() bool {
		s := ui.signIn
		address = s.address.Text
		return s.addressPanel.Visible() && strings.HasPrefix(address, h.issuer) && strings.Contains(s.waitingText.Text, "could not be opened")
	})
	onUI(func() {
		if ui.signIn.message.Visible() {
			t.Errorf("an error is shown (%q); want the sign-in to go on", ui.signIn.message.Text)
		}
		// The address shows on one line, shortened, inside the window,
		// once laid out as a frame lays it out.
		ui.window.Content().Refresh()
		linesInside(t, ui.window, ui.signIn.address, "the sign-in address")
		if shown := shownText(ui.signIn.address); len(shown) >= len(address) || !strings.HasSuffix(shown, "…") || !strings.HasPrefix(address, strings.TrimSuffix(shown, "…")) {
			t.Errorf("the address shows as %q; want the start of %q, shortened with an ellipsis", shown, address)
		}
		test.Tap(ui.signIn.copyAddress)
	})
	if copied != address {
		t.Fatalf("Copy put %q on the clipboard; want the address %q", copied, address)
	}
	if code, _, err := testbrowser.NewBrowser("demo", "demo").Visit(address); err != nil || code != 200 {
		t.Fatalf("the browser ended on %d, %v; want 200", code, err)
	}
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
}

// TestNoBrowserOpenedIsSaid: when $BROWSER fails and xdg-open finds
// nothing to open the address with (no display, so no desktop's handler),
// the app says the browser could not be opened and shows the address,
// rather than waiting for a browser that never came.
func TestNoBrowserOpenedIsSaid(t *testing.T) {
	t.Setenv("BROWSER", "false")
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	h := newHarness(t)
	h.systemBrowser = true
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "the address", func() bool { return ui.signIn.addressPanel.Visible() })
	onUI(func() {
		if text := ui.signIn.waitingText.Text; !strings.Contains(text, "could not be opened") {
			t.Errorf("the sign-in says %q; want that the browser could not be opened", text)
		}
	})
}

// TestBrowserSignInGivesWayToAnotherDevice: from the waiting browser
// sign-in, "Use another device instead" starts the device flow, and the
// browser flow's end does not disturb it.
func TestBrowserSignInGivesWayToAnotherDevice(t *testing.T) {
	h := newHarness(t)
	h.open = func(context.Context, string) error { return session.ErrNoBrowser }
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "the address", func() bool { return ui.signIn.addressPanel.Visible() })
	onUI(func() { test.Tap(ui.signIn.deviceInstead) })
	var complete string
	waitFor(t, "the device code", func() bool {
		s := ui.signIn
		if s.userCode.Text == "" || !s.devicePanel.Visible() {
			return false
		}
		complete = s.link.URL.String() + "?user_code=" + url.QueryEscape(s.userCode.Text)
		return true
	})
	time.Sleep(300 * time.Millisecond) // the browser flow's end arrives meanwhile
	onUI(func() {
		if !ui.signIn.devicePanel.Visible() || ui.signIn.message.Visible() {
			t.Errorf("the device flow was disturbed: panel shown %t, message %q", ui.signIn.devicePanel.Visible(), ui.signIn.message.Text)
		}
	})
	if code, _, err := testbrowser.NewBrowser("demo", "demo").Visit(complete); err != nil || code != 200 {
		t.Fatalf("device page ended on %d, %v; want 200", code, err)
	}
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
}

// Ctrl+D signs in on another device, from the sign-in screen or from a
// browser sign-in under way, as the button does.
func TestCtrlDSignsInOnAnotherDevice(t *testing.T) {
	h := newHarness(t)
	h.open = func(context.Context, string) error { return nil } // a browser that never comes back
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	ctrlD := func() { pressShortcut(t, ui, "CustomDesktop:Control+D") }
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "the address", func() bool { return ui.signIn.addressPanel.Visible() })
	onUI(ctrlD)
	waitFor(t, "the device code", func() bool { return ui.signIn.devicePanel.Visible() && ui.signIn.userCode.Text != "" })
	code := ""
	onUI(func() {
		code = ui.signIn.userCode.Text
		ctrlD() // again: the device flow under way stays
	})
	time.Sleep(200 * time.Millisecond)
	onUI(func() {
		if !ui.signIn.devicePanel.Visible() || ui.signIn.userCode.Text != code {
			t.Errorf("a second Ctrl+D changed the device flow: panel %t, code %q then %q", ui.signIn.devicePanel.Visible(), code, ui.signIn.userCode.Text)
		}
		test.Tap(ui.signIn.cancelBtn)
	})
	waitFor(t, "the sign-in buttons", func() bool { return ui.signIn.buttons.Visible() })
	onUI(ctrlD)
	waitFor(t, "a new device code", func() bool { return ui.signIn.devicePanel.Visible() && ui.signIn.userCode.Text != "" })
}

// pressShortcut runs the window's shortcut of that name (as
// fyne.Shortcut's ShortcutName gives it).
func pressShortcut(t *testing.T, ui *appWindow, name string) {
	t.Helper()
	for _, k := range ui.keyboard() {
		if k.shortcut != nil && k.shortcut.ShortcutName() == name {
			k.run()
			return
		}
	}
	t.Fatalf("no shortcut %q", name)
}

// downStore is a keychain that cannot be reached at all.
type downStore struct{ sessiontest.Store }

func (*downStore) Get(context.Context, string) ([]byte, error) {
	return nil, errors.Join(session.ErrKeychainUnavailable, errors.New("no Secret Service"))
}

func (*downStore) Set(context.Context, string, []byte) error {
	return errors.Join(session.ErrKeychainUnavailable, errors.New("no Secret Service"))
}

// With the keychain found unusable at launch, "Sign in with browser"
// opens no browser before the person chose: once they choose to stay
// signed in until they quit, the sign-in runs, in memory.
func TestAKeychainKnownDownIsSaidBeforeTheBrowser(t *testing.T) {
	h := newHarness(t)
	h.store = &downStore{}
	var trips atomic.Int32
	h.open = func(ctx context.Context, u string) error {
		trips.Add(1)
		return testbrowser.NewBrowser("demo", "demo").OpenURL(ctx, u)
	}
	ui := h.start()
	waitFor(t, "sign-in with the keychain's choices", func() bool {
		return ui.Screen() == ScreenSignIn && ui.signIn.keychainHelp.Visible()
	})
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "the keychain said again", func() bool { return strings.Contains(ui.signIn.message.Text, "keychain cannot be used") })
	if n := trips.Load(); n != 0 {
		t.Fatalf("the browser was opened %d times before the person chose; want none", n)
	}
	onUI(func() { test.Tap(ui.signIn.keepInMemory) })
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile && ui.profile.subject.Text == demoUser })
	if n := trips.Load(); n != 1 {
		t.Errorf("the browser was opened %d times; want once, after the choice", n)
	}
}

// A session kept in memory is marked in the account bar, which reads the
// keychain otherwise (and would say "not signed in").
func TestASessionInMemoryIsMarkedInTheBar(t *testing.T) {
	h := newHarness(t)
	h.store = &lockedStore{}
	h.withAccounts(fmt.Sprintf("issuer = %q\nclient_id = %q\n", h.srv.Issuer(), sandboxserver.ClientID))
	h.open = func(ctx context.Context, u string) error {
		return testbrowser.NewBrowser("demo", "demo").OpenURL(ctx, u)
	}
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "the keychain's choices", func() bool { return ui.signIn.keychainHelp.Visible() })
	onUI(func() { test.Tap(ui.signIn.keepInMemory) })
	waitFor(t, "the bar marking the session in memory", func() bool {
		return ui.Screen() == ScreenProfile && ui.bar.choose.Selected == "default: Dana Demo (in memory)"
	})
}

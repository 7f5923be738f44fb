package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/profile"
)

func TestRenewNow(t *testing.T) {
	h := newHarness(t)
	first := h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	onUI(func() { test.Tap(ui.profile.renew) })
	// The panel shows the new time, says the session is signed in and
	// offers to renew again.
	waitFor(t, "the renewal shown", func() bool {
		p := ui.profile
		return p.info.obtained.After(first.ObtainedAt) && p.lastRenewal.Text != "" &&
			p.state.Text == "signed in" && !p.renew.Disabled()
	})
}

// TestLateRenewalAnswerKeepsTheSession: the provider processes a
// renewal at once and answers it later than the HTTP client's own
// timeout. The app waits for the answer and stores the rotated refresh
// token, sending the old one no second time (which the sandbox, as
// providers with rotation do, would take for theft and end the session),
// and the session renews again after.
func TestLateRenewalAnswerKeepsTheSession(t *testing.T) {
	h := newHarness(t)
	addr := sandboxtest.FreeAddr(t)
	proxy := faultproxy.Start(t, func(issuer string) string {
		h.srv = sandboxtest.StartWith(t, sandboxserver.Config{Issuer: issuer, Addr: addr})
		return "http://" + addr
	})
	h.issuer = proxy.URL
	h.httpTimeout = time.Second
	first := h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	proxy.SetFault(&faultproxy.Fault{HoldAnswer: 3 * time.Second, Times: 1})
	before := len(proxy.TokenRequests())
	onUI(func() { test.Tap(ui.profile.renew) })
	waitFor(t, "the late renewal shown", func() bool {
		p := ui.profile
		return p.info.obtained.After(first.ObtainedAt) && p.state.Text == "signed in" && !p.renew.Disabled()
	})
	if held := h.storedCreds(); held.RefreshToken == first.RefreshToken {
		t.Fatal("after the late answer the old refresh token is held; want the rotated one stored")
	}
	if n := len(proxy.TokenRequests()) - before; n != 1 {
		t.Errorf("%d token requests for one renewal; want 1: the refresh token was sent again", n)
	}
	onUI(func() { test.Tap(ui.profile.renew) })
	waitFor(t, "a renewal after", func() bool {
		return len(proxy.TokenRequests())-before == 2 && ui.profile.state.Text == "signed in" && !ui.profile.renew.Disabled()
	})
	onUI(func() {
		if ui.Screen() != ScreenProfile {
			t.Errorf("after renewing again the screen is %q; want the profile: the session lives", ui.Screen())
		}
	})
}

// TestRenewalFailureShownWhole: Renew now with the provider gone says so
// in a dialog whose text wraps inside the window, and the session stays.
func TestRenewalFailureShownWhole(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	h.srv.Close() // the provider goes away
	onUI(func() { test.Tap(ui.profile.renew) })
	dialogShownWhole(t, ui.window, "the renewal failure")
	onUI(func() {
		if ui.Screen() != ScreenProfile {
			t.Errorf("after a failed renewal the screen is %q; want the profile", ui.Screen())
		}
	})
	if h.storedCreds() == nil {
		t.Fatal("the session is gone after a failed renewal; want it kept")
	}
}

func TestSignOut(t *testing.T) {
	h := newHarness(t)
	creds := h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	onUI(func() { test.Tap(ui.profile.signOut) })
	dialogShownWhole(t, ui.window, "the sign-out question")
	tapDialogButton(t, ui.window, "Sign out")
	waitFor(t, "signed out", func() bool {
		return ui.Screen() == ScreenSignIn && ui.signIn.message.Text == "You are signed out."
	})
	if keys := h.store.(*sessiontest.Store).Keys(); len(keys) != 0 {
		t.Fatalf("store still holds %v, want nothing", keys)
	}
	p, err := h.account().Manager.Provider(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(p.TokenEndpoint, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {creds.RefreshToken}, "client_id": {sandboxserver.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("the refresh token after sign-out answered %d, want 400", resp.StatusCode)
	}
}

func TestPreferencesKeepNoSecret(t *testing.T) {
	h := newHarness(t)
	creds := h.signInDirectly()
	ui := h.start()
	metadataTab(t, ui)
	onUI(func() {
		ui.window.Resize(fyne.NewSize(600, 560)) // the person's size
		ui.onClose()
	})
	p := ui.fyne.Preferences()
	if p.String(prefLastTab) != ScreenMetadata || p.Float(prefWidth) != 600 {
		t.Fatalf("preferences: tab %q, width %v; want the metadata tab and the person's width, 600", p.String(prefLastTab), p.Float(prefWidth))
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
		if !ui.profile.info.obtained.Equal(first.ObtainedAt) {
			t.Fatal("renewed at launch; the test wants the scheduler to do it")
		}
	})
	// Nobody touches anything: the scheduler renews, and the panel shows it.
	waitFor(t, "a renewal shown in the panel", func() bool {
		return ui.profile.info.obtained.After(first.ObtainedAt) && ui.profile.info.expiry.After(first.Expiry) &&
			ui.profile.state.Text == "signed in"
	})
	onUI(func() {
		if ui.profile.expiresIn.Text == "expired" {
			t.Error("the countdown shows an expired token after renewal")
		}
	})
}

func TestExpiresTextCountsInSteps(t *testing.T) {
	for _, c := range []struct {
		left time.Duration
		want string
	}{
		{-time.Second, "expired"}, {0, "expired"}, {300 * time.Millisecond, "1 s"}, {9500 * time.Millisecond, "10 s"},
		{10 * time.Second, "10 s"}, {59 * time.Second, "59 s"}, {time.Minute, "1 min 0 s"}, {117 * time.Second, "1 min 57 s"},
		{119500 * time.Millisecond, "2 min"}, {2 * time.Minute, "2 min"}, {150 * time.Second, "2 min"},
		{59*time.Minute + 59*time.Second, "59 min"}, {time.Hour, "1 h 0 min"}, {26*time.Hour + 5*time.Minute, "26 h 5 min"},
	} {
		if got := expiresText(c.left); got != c.want {
			t.Errorf("expiresText(%v) = %q; want %q", c.left, got, c.want)
		}
	}
}

// TestCountdownWakesWhenItsTextChanges: the countdown's next wake is
// just past the moment its text changes, every second in the last two
// minutes, and no sooner; far from expiry it wakes every 10 seconds at
// most, for an expiry a renewal moved.
func TestCountdownWakesWhenItsTextChanges(t *testing.T) {
	for _, left := range []time.Duration{
		5 * time.Second, 59500 * time.Millisecond, 61 * time.Second, 117 * time.Second,
		119500 * time.Millisecond, 121 * time.Second, 5*time.Minute + 3*time.Second, 3*time.Hour + 30*time.Second,
	} {
		now := time.Now()
		wake := untilChange(now.Add(left))
		if wake > 10*time.Second {
			t.Errorf("with %v left the countdown sleeps %v; want 10 s at most", left, wake)
			continue
		}
		before, after := expiresText(left-wake+50*time.Millisecond), expiresText(left-wake-50*time.Millisecond)
		if before != expiresText(left) {
			t.Errorf("with %v left the countdown sleeps %v, but its text changed before (%q to %q)", left, wake, expiresText(left), before)
		}
		if left < 2*time.Minute && after == before {
			t.Errorf("with %v left the countdown wakes after %v to the same text %q; want the next second's", left, wake, after)
		}
	}
}

// TestProfileShowsDeceivingNamesEscaped builds the profile of a person
// whose name and email, at the provider, hold a right-to-left override,
// isolates and zero-width characters: each is shown as an escape, so that
// nothing turns the text around it.
func TestProfileShowsDeceivingNamesEscaped(t *testing.T) {
	test.NewTempApp(t)
	p := &profileScreen{person: profile.Profile{Subject: "mallory", Name: "Mallory \u2066(admin)\u2069\u202etxt.exe", Email: "m\u200ballory@example.test"}}
	p.build()
	for _, c := range []struct{ what, got, want string }{
		{"name", p.name.Text, `Mallory \u2066(admin)\u2069\u202etxt.exe`},
		{"email", p.email.Text, `m\u200ballory@example.test`},
	} {
		if c.got != c.want {
			t.Errorf("the %s shows %q; want %q", c.what, c.got, c.want)
		}
	}
}

package ui

import (
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"latch/internal/sessiontest"
	"latch/profile"
)

func TestSignedInShowsPersonAndSignsOut(t *testing.T) {
	signed := sessiontest.SignIn(t, "alice")
	op, m, store, creds := signed.Provider, signed.Manager, signed.Store, signed.Creds
	p, err := profile.FromCredentials(creds)
	if err != nil {
		t.Fatal(err)
	}

	a := test.NewTempApp(t)
	w := a.NewWindow("Latch")
	s := NewSignedIn(w, m, p)
	s.do = onUI
	onUI(func() { w.SetContent(s.Build()) })
	defer s.unsubscribe()

	onUI(func() {
		if s.name.Text != "Alice Liddell" || !strings.Contains(s.email.Text, "alice@example.test") || !strings.Contains(s.email.Text, "verified") {
			t.Errorf("name %q email %q", s.name.Text, s.email.Text)
		}
		if s.subject.Text != "alice" || s.provider.Text != op.Issuer {
			t.Errorf("subject %q provider %q", s.subject.Text, s.provider.Text)
		}
	})
	waitFor(t, func() bool {
		return strings.HasPrefix(s.state.Text, "signed in") && strings.HasPrefix(s.expiry.Text, "valid until")
	})

	onUI(func() { test.Tap(s.signOut) })
	select {
	case <-s.signedOut:
	case <-time.After(30 * time.Second):
		t.Fatal("sign-out did not finish")
	}
	waitFor(t, func() bool { return s.state.Text == "signed out" || strings.HasPrefix(s.state.Text, "signed out") })
	onUI(func() {
		if !s.signOut.Disabled() {
			t.Error("Sign out is still enabled")
		}
	})
	if keys := store.Keys(); len(keys) != 0 {
		t.Fatalf("the store still holds %v", keys)
	}
}

// uiMu stands for Fyne's goroutine in widget tests: the test driver runs
// fyne.Do callbacks on the caller's goroutine, so the screen's updates and
// the test's reads are serialised here instead.
var uiMu sync.Mutex

// onUI runs f as if on Fyne's goroutine.
func onUI(f func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	f()
}

// waitFor polls cond, which reads widgets, on Fyne's goroutine.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ok := false
		onUI(func() { ok = cond() })
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("condition not met in time")
}

package ui

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
)

func TestLaunchWithoutSessionShowsSignIn(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	waitFor(t, "the sign-in screen", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() {
		if !strings.Contains(ui.signIn.provider.Text, strings.TrimPrefix(h.issuer, "http://")) || ui.signIn.message.Visible() {
			t.Errorf("provider %q, message %q; want the issuer's host named and no message", ui.signIn.provider.Text, ui.signIn.message.Text)
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
		if p.name.Text != "Dana Demo" || p.email.Text != "demo@sandbox.latch.invalid" || p.verified.Text != "verified" || !p.verifiedMark.Visible() || p.subject.Text != "sandbox|demo" || p.provider.Text != h.issuer {
			t.Errorf("profile shows %q %q %q %q %q, want Dana Demo, her verified email, sandbox|demo and %s", p.name.Text, p.email.Text, p.verified.Text, p.subject.Text, p.provider.Text, h.issuer)
		}
	})
	files, _ := os.ReadDir(ui.avatars.dir)
	if len(files) != 1 {
		t.Fatalf("avatar cache holds %d files, want 1", len(files))
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
	h.srv.Close() // neither userinfo nor the picture can be loaded now
	ui := h.start()
	waitFor(t, "the profile, its details tried", func() bool { return ui.Screen() == ScreenProfile && ui.profile.detailed })
	onUI(func() {
		if _, ok := ui.profile.avatar.Objects[0].(*fyne.Container); !ok || ui.profile.name.Text != "Dana Demo" {
			t.Errorf("avatar %T for %q, want the initials avatar for Dana Demo, from the ID token", ui.profile.avatar.Objects[0], ui.profile.name.Text)
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
		if ui.profile.name.Text != "Dana Demo" || ui.profile.refresh.Text != "held" || !strings.Contains(ui.profile.expiresIn.Text, " min") {
			t.Errorf("name %q, refresh token %q, expires in %q; want Dana Demo, held, a countdown in minutes", ui.profile.name.Text, ui.profile.refresh.Text, ui.profile.expiresIn.Text)
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

// countingStore counts the logical reads of a store.
type countingStore struct {
	session.Store
	reads atomic.Int32
}

func (s *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	s.reads.Add(1)
	return s.Store.Get(ctx, key)
}

// screenHook is a log handler that calls on with each screen the app
// shows, as it logs it.
type screenHook struct{ on func(screen string) }

func (screenHook) Enabled(context.Context, slog.Level) bool { return true }
func (h screenHook) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "screen" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "screen" {
				h.on(a.Value.String())
			}
			return true
		})
	}
	return nil
}
func (h screenHook) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h screenHook) WithGroup(string) slog.Handler      { return h }

// TestLaunchReadsTheKeychainOnceAndNoNetwork: with a valid session stored,
// what the app does before the profile shows is one read of the store,
// and nothing on the network.
func TestLaunchReadsTheKeychainOnceAndNoNetwork(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	store := &countingStore{Store: h.store}
	h.store = store
	var once sync.Once
	var reads, requests int32 = -1, -1
	before := h.count.requests.Load()
	h.logger = slog.New(screenHook{on: func(screen string) {
		if screen == string(ScreenProfile) {
			once.Do(func() { reads, requests = store.reads.Load(), h.count.requests.Load()-before })
		}
	}})
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	once.Do(func() {})
	if reads != 1 || requests != 0 {
		t.Fatalf("before the profile showed, the app read the store %d times and made %d requests; want 1 and 0", reads, requests)
	}
}

func TestProviderNamedForWhatItIs(t *testing.T) {
	for _, c := range []struct {
		cfg  latchapp.Config
		want string
	}{
		{latchapp.Config{Sandbox: true, Issuer: "http://127.0.0.1:8642"}, "Latch sandbox: demo accounts on this computer"},
		{latchapp.Config{Issuer: "https://tenant.eu.auth0.com/"}, "https://tenant.eu.auth0.com"},
		// The whole address: two realms of one server are two providers.
		{latchapp.Config{Issuer: "https://id.example.com/realms/main"}, "https://id.example.com/realms/main"},
	} {
		if got := providerName(c.cfg); got != c.want {
			t.Errorf("providerName(%+v) = %q; want %q", c.cfg, got, c.want)
		}
	}
}

package ui

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxhost"
	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/internal/testing/testbrowser"
	"github.com/latchapp/latch/session"
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
	t.Fatalf("waited 20 s for %s; it did not come", what)
}

// counter counts the requests a Manager makes, and its token requests.
type counter struct{ requests, refreshes atomic.Int32 }

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
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
	srv     *sandboxserver.Server
	store   session.Store
	lock    string
	count   *counter
	browser *testbrowser.Browser
	issuer  string
	noAPI   bool
	// open and timeout, when set, replace the browser and the sign-in
	// timeout of the app that start builds.
	open    func(context.Context, string) error
	timeout time.Duration
	// systemBrowser, when set, leaves the app the system's way of opening
	// a browser ($BROWSER, then xdg-open), as the app has outside tests.
	systemBrowser bool
	// logger, when set, receives the app's log.
	logger *slog.Logger
	// httpTimeout, when set, replaces the HTTP client's 30 s timeout.
	httpTimeout time.Duration
	// prefs, when set, are the preferences the app that start builds
	// finds, as an earlier run left them.
	prefs map[string]float64
	// accounts, when set, are the accounts of a config file: the app
	// that start builds opens the active one and switches between them.
	accounts *latchapp.Accounts
	// desk, when set, is the agent's desk the app shows.
	desk *agent.Desk
}

// withAccounts gives the harness the accounts of the config file text
// (on the harness's store, lock folder and HTTP client).
func (h *harness) withAccounts(text string) *latchapp.Accounts {
	h.t.Helper()
	file := filepath.Join(h.t.TempDir(), "config.toml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.accounts = &latchapp.Accounts{File: file, Getenv: func(string) string { return "" }, Options: latchapp.Options{
		Store: h.store, LockDir: h.lock, HTTPClient: &http.Client{Transport: h.count, Timeout: 30 * time.Second}, Logger: h.logger,
		Sandbox: sandboxhost.InProcess,
	}}
	return h.accounts
}

func newHarness(t *testing.T) *harness { return newHarnessTTL(t, 0) }

// newHarnessTTL is a harness whose access tokens live for ttl.
func newHarnessTTL(t *testing.T, ttl time.Duration) *harness {
	t.Helper()
	srv := sandboxtest.Start(t, "", ttl)
	return &harness{t: t, srv: srv, store: &sessiontest.Store{}, lock: t.TempDir(), count: &counter{}, issuer: srv.Issuer(),
		browser: testbrowser.NewBrowser("demo", "demo")}
}

// account opens a latchapp.Account on the harness's provider and store, as
// the app's launch does.
func (h *harness) account() *latchapp.Account {
	api := h.srv.MetadataAPI()
	if h.noAPI {
		api = ""
	}
	if h.accounts != nil {
		name, err := h.accounts.Chosen()
		if err != nil {
			h.t.Fatal(err)
		}
		a, err := h.accounts.Open(h.t.Context(), name)
		if err != nil {
			h.t.Fatal(err)
		}
		h.t.Cleanup(a.Close)
		return a
	}
	cfg := latchapp.Config{Issuer: h.issuer, ClientID: sandboxserver.ClientID, MetadataAPI: api}
	timeout := 30 * time.Second
	if h.httpTimeout != 0 {
		timeout = h.httpTimeout
	}
	s, err := latchapp.Open(h.t.Context(), cfg, latchapp.Options{
		Store: h.store, LockDir: h.lock, HTTPClient: &http.Client{Transport: h.count, Timeout: timeout},
		Logger: h.logger, Sandbox: sandboxhost.InProcess,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(s.Close)
	return s
}

// signInDirectly stores a session the way `latch login` would.
func (h *harness) signInDirectly() *session.Credentials {
	s := h.account()
	creds, err := s.Manager.LoginWithBrowser(h.t.Context(), session.BrowserLogin{OpenURL: testbrowser.NewBrowser("demo", "demo").OpenURL})
	if err != nil {
		h.t.Fatal(err)
	}
	return creds
}

// start builds and starts the app.
func (h *harness) start() *appWindow {
	h.t.Helper()
	return h.startWith(func(ui *appWindow) { ui.start() })
}

// startWith builds the app on the harness's account, as start does, and
// runs first on it instead of start.
func (h *harness) startWith(first func(*appWindow)) *appWindow {
	h.t.Helper()
	var a fyne.App
	onUI(func() {
		a = test.NewTempApp(h.t)
		for k, v := range h.prefs {
			a.Preferences().SetFloat(k, v)
		}
	})
	w := a.NewWindow("Latch")
	acct := h.account()
	ui := newAppWindow(h.t.Context(), a, w, acct, acct.Log)
	ui.accounts = h.accounts
	ui.desk = h.desk
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
	if h.open != nil {
		ui.openURL = h.open
	}
	if h.systemBrowser {
		ui.openURL = nil
	}
	if h.timeout != 0 {
		ui.signInTimeout = h.timeout
	}
	ui.avatars = newAvatarCache(filepath.Join(h.t.TempDir(), "avatars"))
	onUI(func() { first(ui) })
	h.t.Cleanup(func() {
		onUI(func() {
			ui.stop()
			stopped = true
		})
		defer onUI(func() {
			if ui.account != nil {
				ui.account.Close() // the account switched to, if any
			}
		})
		// Work still running (an avatar being saved) ends before the
		// test's folders are removed.
		ui.background.Wait()
	})
	return ui
}

func (h *harness) storedCreds() *session.Credentials {
	s := h.account()
	c, err := s.Manager.Held(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// rewriteStored changes the stored credentials, for states a provider
// cannot be made to produce on demand (an expired token at launch).
func (h *harness) rewriteStored(change func(c map[string]any)) {
	sessiontest.Rewrite(h.t, h.store.(*sessiontest.Store), change)
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
	case *button:
		if v.Text == label {
			return &v.Button
		}
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
		r := test.WidgetRenderer(v) // the live renderer: destroying it when the test ends would race the app's last work
		for _, c := range r.Objects() {
			if b := findButton(t, c, label); b != nil {
				return b
			}
		}
	}
	return nil
}

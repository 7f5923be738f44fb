// Package ui is Latch's desktop interface, in Fyne. It is the only package
// besides main that imports Fyne; everything it shows comes from packages
// session, profile and cli, and every update from another goroutine
// reaches the widgets through fyne.Do.
//
// One struct per screen (SignIn, Profile, Metadata) holds its widgets as
// fields, builds them in a build method and reacts in named on* handlers;
// App switches between them.
package ui

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"latch/assets"
	"latch/cli"
	"latch/profile"
	"latch/session"
)

// AppID is Latch's application ID, as in FyneApp.toml.
const AppID = "app.latch.desktop"

// Screen names, as logged and kept in preferences.
const (
	ScreenLoading  = "loading"
	ScreenSignIn   = "signin"
	ScreenProfile  = "profile"
	ScreenMetadata = "metadata"
)

// preference keys; nothing secret is ever stored in preferences.
const (
	prefWidth   = "window.width"
	prefHeight  = "window.height"
	prefLastTab = "window.tab"
)

// App is Latch's window: sign-in, then the profile and metadata tabs.
type App struct {
	fyne    fyne.App
	window  fyne.Window
	session *cli.Session
	log     *slog.Logger
	ctx     context.Context

	// do runs a function on Fyne's goroutine: fyne.Do, or in tests a
	// runner that serialises with the test's own access to the widgets.
	do func(func())
	// openURL opens the sign-in page; session.OpenBrowser unless a test
	// says otherwise.
	openURL func(ctx context.Context, url string) error
	// signInTimeout bounds a sign-in, the person's time in the browser
	// included.
	signInTimeout time.Duration
	avatars       *avatarCache

	screen   string
	signIn   *SignIn
	profile  *Profile
	metadata *Metadata
	tabs     *container.AppTabs

	// dialog is the confirmation shown, if any, and what Enter does in it.
	dialog        dialog.Dialog
	dialogConfirm func()

	unsubscribe func()
}

// NewApp makes the app for s in window w of a, without showing it.
func NewApp(ctx context.Context, a fyne.App, w fyne.Window, s *cli.Session) *App {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &App{
		fyne: a, window: w, session: s, log: log, ctx: ctx,
		do: fyne.Do, openURL: session.OpenBrowser, signInTimeout: 5 * time.Minute, avatars: newAvatarCache(""),
	}
}

// Run opens Latch's window for s and returns when the app quits.
func Run(ctx context.Context, s *cli.Session) error {
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	w := a.NewWindow("Latch")
	ui := NewApp(ctx, a, w, s)
	ui.Start()
	w.ShowAndRun()
	ui.Stop()
	return nil
}

// Start shows the window's first screen at once and checks the stored
// session behind it.
func (a *App) Start() {
	p := a.fyne.Preferences()
	a.window.Resize(fyne.NewSize(float32(p.FloatWithFallback(prefWidth, 560)), float32(p.FloatWithFallback(prefHeight, 560))))
	a.window.SetMaster()
	a.window.SetCloseIntercept(a.onClose)
	a.showWaiting("Checking your session…")
	a.unsubscribe = a.session.Manager.Subscribe(func(e session.Event) {
		a.do(func() { a.onSessionEvent(e) })
	})
	a.setupShortcuts()
	a.updateTray()
	go a.launch()
}

// Stop ends the subscriptions and background work.
func (a *App) Stop() {
	if a.unsubscribe != nil {
		a.unsubscribe()
	}
	if a.profile != nil {
		a.profile.stop()
	}
	if a.signIn != nil {
		a.signIn.cancel()
	}
}

func (a *App) showWaiting(text string) {
	a.setScreen(ScreenLoading, container.NewCenter(container.NewVBox(
		widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{}),
		widget.NewProgressBarInfinite(),
	)))
}

// launch decides the first screen from the keychain: valid credentials go
// straight to the profile; renewable ones are renewed first; otherwise,
// sign-in with the reason.
func (a *App) launch() {
	m := a.session.Manager
	ctx := a.ctx
	if m.HasValid(ctx, 10*time.Second) {
		if creds, err := m.Current(ctx); err == nil {
			a.do(func() { a.showProfile(creds) })
			return
		}
	}
	if m.CanRenew(ctx) {
		a.do(func() { a.showWaiting("Renewing your session…") })
		creds, err := m.Credentials(ctx, 10*time.Second)
		if err == nil {
			a.do(func() { a.showProfile(creds) })
			return
		}
		if errors.Is(err, session.ErrProviderUnreachable) {
			// Offline: show what is known; the scheduler keeps trying.
			if held, cerr := m.Current(ctx); cerr == nil {
				a.do(func() { a.showProfile(held) })
				return
			}
		}
		a.do(func() { a.showSignIn(describe(err)) })
		return
	}
	reason := ""
	if _, err := m.Current(ctx); err != nil && !errors.Is(err, session.ErrNoCredentials) {
		reason = describe(err)
	} else if st := m.State(); st.State == session.StateEnded {
		reason = st.Reason
	}
	a.do(func() { a.showSignIn(reason) })
}

// setScreen swaps the window's content and logs the screen shown.
func (a *App) setScreen(name string, content fyne.CanvasObject) {
	a.screen = name
	a.logScreen()
	a.window.SetContent(content)
}

func (a *App) logScreen() {
	subject := ""
	if a.screen == ScreenProfile || a.screen == ScreenMetadata {
		subject = a.session.Profile.Subject
	}
	a.log.Info("latch: screen", "screen", a.screen, "subject", subject)
}

// Screen is the name of the screen shown.
func (a *App) Screen() string { return a.screen }

func (a *App) showSignIn(reason string) {
	if a.profile != nil {
		a.profile.stop()
	}
	a.profile, a.metadata, a.tabs = nil, nil, nil
	a.session.Profile = profile.Profile{}
	if a.signIn != nil {
		a.signIn.cancel()
	}
	a.signIn = newSignIn(a)
	a.setScreen(ScreenSignIn, a.signIn.build())
	if reason != "" {
		a.signIn.showError(reason)
	}
	a.updateTray()
}

func (a *App) showProfile(creds *session.Credentials) {
	if a.signIn != nil {
		a.signIn.cancel()
		a.signIn = nil
	}
	p, err := profile.FromCredentials(creds)
	if err != nil {
		a.showSignIn(describe(err))
		return
	}
	a.session.Profile = p
	a.profile = newProfile(a, p, creds)
	a.metadata = newMetadata(a)
	profileTab := container.NewTabItem("Profile", a.profile.build())
	metadataTab := container.NewTabItem("Metadata", a.metadata.build())
	a.tabs = container.NewAppTabs(profileTab, metadataTab)
	a.tabs.OnSelected = func(t *container.TabItem) {
		a.screen = ScreenProfile
		if t == metadataTab {
			a.screen = ScreenMetadata
			a.metadata.loadOnce()
		}
		a.fyne.Preferences().SetString(prefLastTab, a.screen)
		a.logScreen()
	}
	a.setScreen(ScreenProfile, a.tabs)
	if a.fyne.Preferences().String(prefLastTab) == ScreenMetadata {
		a.tabs.Select(metadataTab)
	}
	a.profile.loadDetails()
	a.updateTray()
}

// onSessionEvent follows the session's state, on Fyne's goroutine.
func (a *App) onSessionEvent(e session.Event) {
	if a.profile != nil {
		a.profile.onSessionEvent(e)
	}
	if (e.State == session.StateEnded || e.State == session.StateSignedOut) &&
		(a.screen == ScreenProfile || a.screen == ScreenMetadata) && !a.profile.isSigningOut() {
		reason := e.Reason
		if reason == "" {
			reason = "You were signed out."
		}
		a.showSignIn(reason)
	}
	a.updateTray()
}

// signOut asks, then revokes and clears, then goes back to sign-in.
func (a *App) signOut() {
	if a.screen != ScreenProfile && a.screen != ScreenMetadata {
		return
	}
	a.confirm("Sign out?", "Latch will revoke your session at the provider and remove it from this computer.", "Sign out", a.doSignOut)
}

// confirm asks a yes-or-no question; Enter confirms and Escape dismisses.
func (a *App) confirm(title, text, confirmText string, onConfirm func()) {
	done := false
	d := dialog.NewConfirm(title, text, func(ok bool) {
		a.dialog, a.dialogConfirm = nil, nil
		if ok && !done {
			done = true
			onConfirm()
		}
	}, a.window)
	d.SetConfirmText(confirmText)
	a.dialog = d
	a.dialogConfirm = func() {
		a.dialog, a.dialogConfirm = nil, nil
		d.Hide()
		if !done {
			done = true
			onConfirm()
		}
	}
	d.Show()
}

func (a *App) doSignOut() {
	if a.profile != nil {
		a.profile.signingOut()
	}
	go func() {
		ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
		defer cancel()
		err := a.session.Manager.Logout(ctx)
		a.do(func() {
			if err != nil {
				a.showSignIn("You are signed out on this computer, but the provider could not be told: " + describe(err))
				return
			}
			a.showSignIn("")
			a.signIn.showInfo("You are signed out.")
		})
	}()
}

func (a *App) onClose() {
	size := a.window.Canvas().Size()
	a.fyne.Preferences().SetFloat(prefWidth, float64(size.Width))
	a.fyne.Preferences().SetFloat(prefHeight, float64(size.Height))
	a.window.Close()
}

// setupShortcuts binds the keyboard: Ctrl+S saves and Ctrl+R reloads the
// metadata, Ctrl+Shift+Q signs out, Enter starts the browser sign-in and
// Escape cancels a sign-in in progress.
func (a *App) setupShortcuts() {
	c := a.window.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		if a.metadata != nil {
			a.metadata.onSave()
		}
	})
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		if a.metadata != nil {
			a.metadata.onReload()
		}
	})
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}, func(fyne.Shortcut) {
		a.signOut()
	})
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if a.dialog != nil {
			switch ev.Name {
			case fyne.KeyReturn, fyne.KeyEnter:
				a.dialogConfirm()
			case fyne.KeyEscape:
				a.dialog.Hide()
				a.dialog, a.dialogConfirm = nil, nil
			}
			return
		}
		if a.signIn == nil || a.screen != ScreenSignIn {
			return
		}
		switch ev.Name {
		case fyne.KeyEscape:
			a.signIn.onCancel()
		case fyne.KeyReturn, fyne.KeyEnter:
			a.signIn.onBrowser()
		}
	})
}

// updateTray sets the system-tray menu where the platform has one: who is
// signed in, Open, Sign out, Quit.
func (a *App) updateTray() {
	d, ok := a.fyne.(desktop.App)
	if !ok {
		return
	}
	signedIn := a.screen == ScreenProfile || a.screen == ScreenMetadata
	who := fyne.NewMenuItem("Not signed in", nil)
	if signedIn {
		who.Label = "Signed in as " + a.session.Profile.DisplayName()
	}
	who.Disabled = true
	signOut := fyne.NewMenuItem("Sign out", func() { a.window.Show(); a.signOut() })
	signOut.Disabled = !signedIn
	d.SetSystemTrayMenu(fyne.NewMenu("Latch", who, fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Open", func() { a.window.Show(); a.window.RequestFocus() }),
		signOut,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Quit", func() { a.onClose(); a.fyne.Quit() }),
	))
}

// showError is the one place errors are shown in a dialog.
func (a *App) showError(err error) {
	dialog.ShowError(errors.New(describe(err)), a.window)
}

// describe is the sentence a person reads for err.
func describe(err error) string {
	var pe *session.ProviderError
	switch {
	case errors.As(err, &pe) && pe.Code == "access_denied":
		return "Access was denied. " + pe.Reason()
	case errors.Is(err, session.ErrKeychainUnavailable):
		return "The system keychain is unavailable. Unlock your keyring (or start one, such as gnome-keyring) and try again."
	case errors.Is(err, session.ErrProviderUnreachable) || errors.Is(err, session.ErrDiscovery):
		return "The provider cannot be reached. Check your connection and try again."
	case errors.Is(err, context.DeadlineExceeded):
		return "The sign-in timed out. Please try again."
	case errors.Is(err, session.ErrInvalidIDToken):
		return "The provider's answer could not be verified, so you were not signed in."
	case errors.Is(err, session.ErrInvalidCallback):
		return "The answer from the browser did not belong to this sign-in (wrong account or an old page?). Please start again."
	}
	return cli.Describe(err)
}

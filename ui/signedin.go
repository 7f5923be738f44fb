// Package ui is Latch's desktop interface, in Fyne. It is the only package
// besides main that imports Fyne; everything it shows comes from packages
// session and profile, and every update from another goroutine reaches the
// widgets through fyne.Do.
package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"latch/assets"
	"latch/cli"
	"latch/profile"
	"latch/session"
)

// AppID is Latch's application ID, as in FyneApp.toml.
const AppID = "app.latch.desktop"

// SignedIn is the window content that says who is signed in, follows the
// session's state and signs out.
type SignedIn struct {
	manager *session.Manager
	profile profile.Profile
	issuer  string
	window  fyne.Window

	name     *widget.Label
	email    *widget.Label
	subject  *widget.Label
	provider *widget.Label
	state    *widget.Label
	expiry   *widget.Label
	signOut  *widget.Button
	quit     *widget.Button

	unsubscribe func()
	// signedOut is closed when sign-out has finished.
	signedOut chan struct{}
	// do runs a function on Fyne's goroutine: fyne.Do, or in tests a
	// runner that serialises with the test's own access to the widgets.
	do func(func())
}

// NewSignedIn returns the screen for p, signed in through m.
func NewSignedIn(w fyne.Window, m *session.Manager, p profile.Profile) *SignedIn {
	return &SignedIn{manager: m, profile: p, issuer: m.Config().Issuer, window: w, signedOut: make(chan struct{}), do: fyne.Do}
}

// Build creates the widgets and starts following the session's state.
func (s *SignedIn) Build() fyne.CanvasObject {
	s.name = widget.NewLabelWithStyle(s.profile.DisplayName(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	email := s.profile.Email
	if email != "" && s.profile.EmailVerified {
		email += "  ✓ verified"
	}
	s.email = widget.NewLabel(email)
	s.subject = widget.NewLabel(s.profile.Subject)
	s.provider = widget.NewLabel(s.issuer)
	s.state = widget.NewLabel("")
	s.expiry = widget.NewLabel("")
	s.signOut = widget.NewButton("Sign out", s.onSignOut)
	s.signOut.Importance = widget.DangerImportance
	s.quit = widget.NewButton("Quit", s.onQuit)

	s.unsubscribe = s.manager.Subscribe(func(e session.Event) {
		s.do(func() { s.onState(e) })
	})

	form := widget.NewForm(
		widget.NewFormItem("Email", s.email),
		widget.NewFormItem("Subject", s.subject),
		widget.NewFormItem("Provider", s.provider),
		widget.NewFormItem("Session", s.state),
		widget.NewFormItem("Access token", s.expiry),
	)
	return container.NewPadded(container.NewVBox(
		widget.NewLabel("Signed in as"),
		s.name,
		form,
		container.NewHBox(s.signOut, s.quit),
	))
}

// onState shows a state event. It runs on Fyne's goroutine.
func (s *SignedIn) onState(e session.Event) {
	text := e.State.String()
	if e.Reason != "" {
		text += ": " + e.Reason
	}
	s.state.SetText(text)
	if !e.Expiry.IsZero() {
		s.expiry.SetText("valid until " + e.Expiry.Local().Format(time.TimeOnly))
	} else {
		s.expiry.SetText("")
	}
	if e.State == session.StateSignedOut || e.State == session.StateEnded {
		s.signOut.Disable()
	}
}

func (s *SignedIn) onSignOut() {
	s.signOut.Disable()
	s.state.SetText("signing out…")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := s.manager.Logout(ctx)
		s.do(func() {
			if err != nil {
				s.showError(fmt.Errorf("signed out on this computer, but the provider was not told: %w", err))
			}
			s.state.SetText("signed out")
			close(s.signedOut)
		})
	}()
}

func (s *SignedIn) onQuit() {
	if s.unsubscribe != nil {
		s.unsubscribe()
	}
	s.window.Close()
}

// showError is the one place errors are shown.
func (s *SignedIn) showError(err error) {
	var pe *session.ProviderError
	if errors.As(err, &pe) {
		err = errors.New(pe.Reason())
	}
	dialog.ShowError(err, s.window)
}

// Show opens Latch's window for the person signed in to s and returns
// when it is closed.
func Show(_ context.Context, s *cli.Session) error {
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	w := a.NewWindow("Latch")
	screen := NewSignedIn(w, s.Manager, s.Profile)
	w.SetContent(screen.Build())
	w.Resize(fyne.NewSize(480, 320))
	w.ShowAndRun()
	if screen.unsubscribe != nil {
		screen.unsubscribe()
	}
	return nil
}

package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"latch/profile"
	"latch/session"
)

// Profile is the profile screen: who is signed in, and the session panel.
type Profile struct {
	app     *App
	person  profile.Profile
	creds   *session.Credentials
	expiry  time.Time
	stopped chan struct{}
	leaving bool

	avatar   *fyne.Container
	name     *canvas.Text
	email    *widget.Label
	verified *widget.Label
	subject  *widget.Label
	provider *widget.Label

	state       *widget.Label
	expiresIn   *widget.Label
	refresh     *widget.Label
	sessionEnd  *widget.Label
	lastRenewal *widget.Label
	renew       *widget.Button
	signOut     *widget.Button
}

func newProfile(a *App, p profile.Profile, creds *session.Credentials) *Profile {
	return &Profile{app: a, person: p, creds: creds, expiry: creds.Expiry, stopped: make(chan struct{})}
}

func (p *Profile) build() fyne.CanvasObject {
	p.avatar = container.NewStack(initialsAvatar(p.person.Initials()))
	p.name = canvas.NewText(p.person.DisplayName(), theme.Color(theme.ColorNameForeground))
	p.name.TextSize = 22
	p.name.TextStyle = fyne.TextStyle{Bold: true}
	p.email = widget.NewLabel(p.person.Email)
	p.verified = widget.NewLabel("")
	p.subject = widget.NewLabel(p.person.Subject)
	p.subject.Selectable = true
	p.provider = widget.NewLabel(p.app.session.Config.Issuer)
	p.provider.Wrapping = fyne.TextWrapBreak
	p.showVerified()

	p.state = widget.NewLabel("signed in")
	p.expiresIn = widget.NewLabel("")
	p.refresh = widget.NewLabel("")
	p.sessionEnd = widget.NewLabel("")
	p.lastRenewal = widget.NewLabel("")
	p.renew = widget.NewButtonWithIcon("Renew now", theme.ViewRefreshIcon(), p.onRenew)
	p.signOut = widget.NewButtonWithIcon("Sign out…", theme.LogoutIcon(), p.app.signOut)
	p.signOut.Importance = widget.DangerImportance
	p.showCredentials(p.creds)

	header := container.NewBorder(nil, nil, container.NewPadded(p.avatar), nil,
		container.NewVBox(p.name, container.NewHBox(p.email, p.verified)))
	details := widget.NewForm(
		widget.NewFormItem("Subject", p.subject),
		widget.NewFormItem("Provider", p.provider),
	)
	panel := widget.NewCard("Session", "", container.NewVBox(
		widget.NewForm(
			widget.NewFormItem("State", p.state),
			widget.NewFormItem("Access token expires in", p.expiresIn),
			widget.NewFormItem("Refresh token", p.refresh),
			widget.NewFormItem("Session ends", p.sessionEnd),
			widget.NewFormItem("Last renewal", p.lastRenewal),
		),
		container.NewHBox(p.renew),
	))
	go p.countdown()
	return container.NewVScroll(container.NewPadded(container.NewVBox(
		header, details, panel, container.NewHBox(layout.NewSpacer(), p.signOut),
	)))
}

func (p *Profile) showVerified() {
	switch {
	case p.person.Email == "":
		p.verified.SetText("")
	case p.person.EmailVerified:
		p.verified.SetText("✓ verified")
		p.verified.Importance = widget.SuccessImportance
	default:
		p.verified.SetText("not verified")
		p.verified.Importance = widget.WarningImportance
	}
	p.verified.Refresh()
}

// showCredentials fills the session panel from creds (no token shown).
func (p *Profile) showCredentials(c *session.Credentials) {
	if c == nil {
		return
	}
	p.creds = c
	p.expiry = c.Expiry
	if c.RefreshToken != "" {
		p.refresh.SetText("held")
		p.renew.Enable()
	} else {
		p.refresh.SetText("none (the session ends when the access token expires)")
		p.renew.Disable()
	}
	if !c.RefreshExpiry.IsZero() {
		p.sessionEnd.SetText(c.RefreshExpiry.Local().Format("Mon 2 Jan 15:04"))
	} else {
		p.sessionEnd.SetText("not announced by the provider")
	}
	if !c.ObtainedAt.IsZero() {
		p.lastRenewal.SetText(c.ObtainedAt.Local().Format(time.TimeOnly))
	}
	p.tick()
}

// tick updates the live countdown.
func (p *Profile) tick() {
	if p.expiry.IsZero() {
		p.expiresIn.SetText("no expiry given")
		return
	}
	left := time.Until(p.expiry).Round(time.Second)
	if left <= 0 {
		p.expiresIn.SetText("expired")
		return
	}
	p.expiresIn.SetText(left.String())
}

func (p *Profile) countdown() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.stopped:
			return
		case <-t.C:
			p.app.do(p.tick)
		}
	}
}

func (p *Profile) stop() {
	select {
	case <-p.stopped:
	default:
		close(p.stopped)
	}
}

func (p *Profile) signingOut() {
	p.leaving = true
	p.signOut.Disable()
	p.renew.Disable()
	p.state.SetText("signing out…")
}

func (p *Profile) isSigningOut() bool { return p != nil && p.leaving }

// onSessionEvent shows the session's state, on Fyne's goroutine.
func (p *Profile) onSessionEvent(e session.Event) {
	if p.leaving {
		return
	}
	text := e.State.String()
	if e.State == session.StateOffline {
		text = "offline: renewal will be retried"
	}
	p.state.SetText(text)
	if e.State == session.StateSignedIn {
		if c, err := p.app.session.Manager.Current(p.app.ctx); err == nil && c.ObtainedAt != p.creds.ObtainedAt {
			p.showCredentials(c)
		}
	}
}

func (p *Profile) onRenew() {
	p.renew.Disable()
	p.state.SetText("renewing")
	go func() {
		ctx, cancel := context.WithTimeout(p.app.ctx, time.Minute)
		defer cancel()
		c, err := p.app.session.Manager.Renew(ctx)
		p.app.do(func() {
			if p.app.profile != p {
				return
			}
			p.renew.Enable()
			if err != nil {
				p.app.showError(fmt.Errorf("renewal failed: %w", err))
				return
			}
			p.showCredentials(c)
		})
	}()
}

// loadDetails fetches userinfo and the avatar in the background.
func (p *Profile) loadDetails() {
	m := p.app.session.Manager
	creds := p.creds
	go func() {
		ctx, cancel := context.WithTimeout(p.app.ctx, 30*time.Second)
		defer cancel()
		person := p.person
		if prov, err := m.Provider(ctx); err == nil && prov.UserinfoEndpoint != "" {
			if fresh, err := m.Credentials(ctx, 5*time.Second); err == nil {
				creds = fresh
			}
			if info, err := profile.UserInfo(ctx, nil, prov.UserinfoEndpoint, creds); err == nil {
				person = info
			} else {
				p.app.log.Info("latch: userinfo unavailable", "error", err)
			}
		}
		var img fyne.Resource
		if person.Picture != "" {
			res, err := p.app.avatars.get(ctx, person.Picture)
			if err != nil {
				p.app.log.Info("latch: avatar unavailable", "error", err)
			}
			img = res
		}
		p.app.do(func() {
			if p.app.profile != p {
				return
			}
			p.person = person
			p.app.session.Profile = person
			p.name.Text = person.DisplayName()
			p.name.Refresh()
			p.email.SetText(person.Email)
			p.showVerified()
			if img != nil {
				pic := canvas.NewImageFromResource(img)
				pic.FillMode = canvas.ImageFillContain
				pic.SetMinSize(fyne.NewSize(avatarSize, avatarSize))
				p.avatar.Objects = []fyne.CanvasObject{pic}
			} else {
				p.avatar.Objects = []fyne.CanvasObject{initialsAvatar(person.Initials())}
			}
			p.avatar.Refresh()
			p.app.updateTray()
		})
	}()
}

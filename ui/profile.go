package ui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

// panelInfo is what the session panel shows: no token, only times and
// whether a refresh token is held.
type panelInfo struct {
	expiry        time.Time
	obtained      time.Time
	refreshToken  bool
	refreshExpiry time.Time
}

func panelInfoOf(c *session.Credentials) panelInfo {
	return panelInfo{expiry: c.Expiry, obtained: c.ObtainedAt, refreshToken: c.RefreshToken != "", refreshExpiry: c.RefreshExpiry}
}

func panelInfoFromEvent(e session.Event) panelInfo {
	return panelInfo{expiry: e.Expiry, obtained: e.LastRenewal, refreshToken: e.RefreshToken, refreshExpiry: e.RefreshExpiry}
}

// profileScreen is the profile screen: who is signed in, and the session
// panel.
type profileScreen struct {
	ctx          context.Context // ends when the screen is left
	do           func(func())
	background   *sync.WaitGroup // see appWindow.background
	account      *latchapp.Account
	avatars      *avatarCache
	person       profile.Profile
	info         panelInfo
	providerName string
	// inMemory says the session is kept in memory only (the person chose
	// it when the keychain could not be used).
	inMemory  bool
	onSignOut func()
	onPerson  func(profile.Profile)
	showError func(what string, err error)
	leaving   bool
	// detailed is set once userinfo and the avatar were asked for, whether
	// they came or not.
	detailed bool

	avatar   *fyne.Container
	name     *canvas.Text
	email    *widget.Label
	verified *widget.Label
	// verifiedMark is shown beside "verified".
	verifiedMark *widget.Icon
	subject      *widget.Label
	provider     *widget.Label
	kept         *widget.Label

	state       *widget.Label
	expiresIn   *widget.Label
	refresh     *widget.Label
	sessionEnd  *widget.Label
	lastRenewal *widget.Label
	renew       *button
	signOut     *button
	scroll      *container.Scroll // the whole screen
}

func (p *profileScreen) build() fyne.CanvasObject {
	p.avatar = container.NewStack(initialsAvatar(latchapp.Printable(p.person.Initials())))
	p.name = canvas.NewText(latchapp.Printable(p.person.DisplayName()), theme.Color(theme.ColorNameForeground))
	p.name.TextSize = 22
	p.name.TextStyle = fyne.TextStyle{Bold: true}
	p.email = widget.NewLabel(latchapp.Printable(p.person.Email))
	p.verified = widget.NewLabel("")
	// The verified mark is the theme's icon, not a character that a font
	// of the system may lack.
	p.verifiedMark = widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
	p.subject = widget.NewLabel(latchapp.Printable(p.person.Subject))
	p.subject.Selectable = true
	p.provider = widget.NewLabel(p.providerName)
	// Words wrap whole; an address longer than a line breaks where it must.
	p.provider.Wrapping = fyne.TextWrapWord
	p.showVerified()

	p.state = widget.NewLabel("signed in")
	p.expiresIn = widget.NewLabel("")
	p.refresh = widget.NewLabel("")
	p.sessionEnd = widget.NewLabel("")
	p.lastRenewal = widget.NewLabel("")
	p.renew = newButton("Renew now", theme.ViewRefreshIcon(), p.onRenew)
	p.signOut = newButton("Sign out…", theme.LogoutIcon(), p.onSignOut)
	p.signOut.Importance = widget.DangerImportance
	p.kept = widget.NewLabel(p.keptWhere())
	p.kept.Wrapping = fyne.TextWrapWord
	p.showInfo(p.info)

	header := container.NewBorder(nil, nil, container.NewPadded(p.avatar), nil,
		container.NewVBox(p.name, container.NewHBox(p.email, p.verifiedMark, p.verified)))
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
			widget.NewFormItem("Kept", p.kept),
		),
		// Sign out sits on the card's last row, so that the whole screen
		// fits the default window.
		container.NewHBox(p.renew, layout.NewSpacer(), p.signOut),
	))
	p.scroll = container.NewVScroll(container.NewPadded(container.NewVBox(header, details, panel)))
	return p.scroll
}

// keptWhere says where the session is kept.
func (p *profileScreen) keptWhere() string {
	if p.inMemory {
		return "in memory only, until Latch quits (the keychain could not be used)"
	}
	return "in the system keychain"
}

// start runs the countdown and loads the details, until the screen is
// left.
func (p *profileScreen) start() {
	p.background.Go(p.countdown)
	p.loadDetails()
}

func (p *profileScreen) showVerified() {
	switch {
	case p.person.Email == "":
		p.verified.SetText("")
		p.verifiedMark.Hide()
	case p.person.EmailVerified:
		p.verified.SetText("verified")
		p.verified.Importance = widget.SuccessImportance
		p.verifiedMark.Show()
	default:
		p.verified.SetText("not verified")
		p.verified.Importance = widget.WarningImportance
		p.verifiedMark.Hide()
	}
	p.verified.Refresh()
}

// showInfo fills the session panel.
func (p *profileScreen) showInfo(info panelInfo) {
	p.info = info
	if info.refreshToken {
		p.refresh.SetText("held")
		p.renew.Enable()
	} else {
		p.refresh.SetText("none (the session ends when the access token expires)")
		p.renew.Disable()
	}
	if !info.refreshExpiry.IsZero() {
		p.sessionEnd.SetText(info.refreshExpiry.Local().Format("Mon 2 Jan 15:04"))
	} else {
		p.sessionEnd.SetText("not announced by the provider")
	}
	if !info.obtained.IsZero() {
		p.lastRenewal.SetText(info.obtained.Local().Format(time.TimeOnly))
	}
	p.tick()
}

// tick updates the countdown, when its text changes: every change
// repaints the whole window, so it counts in minutes while the figure is
// far off, and in seconds only in the last two minutes.
func (p *profileScreen) tick() {
	text := "no expiry given"
	if !p.info.expiry.IsZero() {
		text = expiresText(time.Until(p.info.expiry))
	}
	if p.expiresIn.Text != text {
		p.expiresIn.SetText(text)
	}
}

// countdownStep is how finely the countdown counts with left to go:
// seconds in the last two minutes (as "1 min 57 s"), minutes before. The
// window is redrawn when the text changes, so minutes are enough until
// the figure matters.
func countdownStep(left time.Duration) time.Duration {
	if left < 2*time.Minute {
		return time.Second
	}
	return time.Minute
}

// expiresText says how long is left, in the steps of countdownStep:
// seconds rounded up, so that "0 s" is never shown before "expired".
func expiresText(left time.Duration) string {
	if left <= 0 {
		return "expired"
	}
	if countdownStep(left) == time.Second {
		switch secs := int((left + time.Second - 1) / time.Second); {
		case secs < 60:
			return fmt.Sprintf("%d s", secs)
		case secs < 120:
			return fmt.Sprintf("1 min %d s", secs-60)
		}
		return "2 min"
	}
	if left < time.Hour {
		return fmt.Sprintf("%d min", int(left.Minutes()))
	}
	return fmt.Sprintf("%d h %d min", int(left.Hours()), int(left.Minutes())%60)
}

// countdown wakes when the countdown's text is due to change, at least
// every 10 seconds (the expiry moves with each renewal), and never more
// often than the text changes.
func (p *profileScreen) countdown() {
	next := make(chan time.Duration, 1)
	wait := time.Second
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(wait):
		}
		p.do(func() {
			if p.ctx.Err() != nil {
				return
			}
			p.tick()
			next <- untilChange(p.info.expiry)
		})
		select {
		case <-p.ctx.Done():
			return
		case wait = <-next:
		}
	}
}

// untilChange is how long until the countdown's text for expiry changes,
// at most 10 seconds.
func untilChange(expiry time.Time) time.Duration {
	const most = 10 * time.Second
	left := time.Until(expiry)
	if expiry.IsZero() || left <= 0 {
		return most
	}
	// Just past the moment the shown figure changes.
	return min(left%countdownStep(left)+10*time.Millisecond, most)
}

// signOutFailed undoes signingOut: nothing was changed.
func (p *profileScreen) signOutFailed() {
	p.leaving = false
	p.signOut.Enable()
	p.renew.Enable()
	p.state.SetText("signed in")
}

func (p *profileScreen) signingOut() {
	p.leaving = true
	p.signOut.Disable()
	p.renew.Disable()
	p.state.SetText("signing out…")
}

// onSessionEvent shows the session's state, on Fyne's goroutine. The
// event carries what the panel shows: nothing blocks here.
func (p *profileScreen) onSessionEvent(e session.Event) {
	if p.leaving {
		return
	}
	p.showState(e.State)
	if e.State == session.StateSignedIn && !e.LastRenewal.IsZero() && !e.LastRenewal.Equal(p.info.obtained) {
		p.showInfo(panelInfoFromEvent(e))
	}
}

func (p *profileScreen) onRenew() {
	p.renew.Disable()
	p.state.SetText("renewing")
	ctx := p.ctx
	p.background.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		c, err := p.account.Manager.Renew(ctx)
		p.do(func() {
			if p.ctx.Err() != nil {
				return
			}
			p.renew.Enable()
			if err != nil {
				p.showError("Renewal failed", err)
				return
			}
			p.showInfo(panelInfoOf(c))
			// The session's events come on their own goroutine: the one
			// that says the renewal is over may not have come yet, and the
			// panel must not say "renewing" beside the new time meanwhile.
			p.showState(p.account.Manager.State().State)
		})
	})
}

// showState says the session's state in words.
func (p *profileScreen) showState(s session.State) {
	text := s.String()
	if s == session.StateOffline {
		text = "offline: renewal will be retried"
	}
	p.state.SetText(text)
}

// loadDetails fetches userinfo and the avatar in the background.
func (p *profileScreen) loadDetails() {
	s, person, screen := p.account, p.person, p.ctx
	p.background.Go(func() {
		ctx, cancel := context.WithTimeout(screen, 30*time.Second)
		defer cancel()
		if detailed, err := s.Details(ctx, person); err == nil {
			person = detailed
		} else {
			s.Log.Info("userinfo unavailable", "error", err)
		}
		var img fyne.Resource
		if person.Picture != "" {
			res, err := p.avatars.get(ctx, person.Picture)
			if err != nil {
				s.Log.Info("avatar unavailable", "error", err)
			}
			img = res
		}
		p.do(func() {
			if p.ctx.Err() != nil {
				return
			}
			p.detailed = true
			p.person = person
			p.name.Text = latchapp.Printable(person.DisplayName())
			p.name.Refresh()
			p.email.SetText(latchapp.Printable(person.Email))
			p.showVerified()
			if img != nil {
				pic := canvas.NewImageFromResource(img)
				pic.FillMode = canvas.ImageFillContain
				pic.SetMinSize(fyne.NewSize(avatarSize, avatarSize))
				p.avatar.Objects = []fyne.CanvasObject{pic}
			} else {
				p.avatar.Objects = []fyne.CanvasObject{initialsAvatar(latchapp.Printable(person.Initials()))}
			}
			p.avatar.Refresh()
			p.onPerson(person)
		})
	})
}

package ui

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/base/secureurl"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
)

// signInScreen is the sign-in screen: through the browser, or on another
// device.
type signInScreen struct {
	ctx          context.Context // ends when the screen is left
	do           func(func())
	background   *sync.WaitGroup // see appWindow.background
	manager      *session.Manager
	open         func(ctx context.Context, url string) error
	timeout      time.Duration
	providerName string
	// config is the account's, whose issuer setting a failure to use the
	// provider names.
	config     latchapp.Config
	onSignedIn func(*session.Credentials)
	// useMemory and relaunch answer a keychain that cannot be used: keep
	// the session in memory until Latch quits, or try again.
	useMemory func()
	relaunch  func()
	inMemory  bool
	// keychainDown says the launch found the keychain unusable: a
	// browser sign-in waits until the person chose what to do.
	keychainDown bool
	// fit sizes the window to the screen as it is now, after a panel or
	// message came or went (see appWindow.fitWindow).
	fit func()

	body        *fyne.Container // everything, in a centred column
	provider    *widget.Label
	message     *widget.Label
	browser     *button
	device      *button
	someoneElse *button
	buttons     *fyne.Container

	waiting     *fyne.Container
	waitingText *widget.Label
	busy        *busy
	// the sign-in address, shown while a browser sign-in waits
	addressPanel  *fyne.Container
	addressNote   *widget.Label
	address       *widget.Label
	copyAddress   *button
	deviceInstead *button
	clipboard     func(string)
	cancelBtn     *button

	devicePanel *fyne.Container
	deviceIntro *widget.Label
	// localNote says the code's address is on this computer only (the
	// sandbox's), in place of a QR code no other device could open.
	localNote *widget.Label
	userCode  *canvas.Text
	link      *widget.Hyperlink
	qrImage   *canvas.Image
	countdown *widget.Label

	keychainHelp  *fyne.Container
	keepInMemory  *button
	retryKeychain *button

	// stopFlow cancels the sign-in in progress, if any, and flow is its
	// context: a flow that ends after it was cancelled or replaced
	// changes nothing on the screen.
	stopFlow context.CancelFunc
	flow     context.Context
	// onDeviceFlow says the flow under way is the device flow.
	onDeviceFlow bool
}

func (s *signInScreen) build() fyne.CanvasObject {
	s.provider = widget.NewLabel("Provider: " + s.providerName)
	s.provider.Wrapping = fyne.TextWrapWord
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.message.Importance = widget.DangerImportance
	s.message.Hide()

	s.browser = newButton("Sign in with browser", theme.LoginIcon(), s.onBrowser)
	s.browser.Importance = widget.HighImportance
	s.device = newButton("Use another device", theme.ComputerIcon(), s.onDevice)
	// A provider that keeps its own session in the browser signs the
	// person it knows in again; this asks it for its sign-in form.
	s.someoneElse = newButton("Sign in as someone else", nil, s.onSomeoneElse)
	s.someoneElse.Importance = widget.LowImportance
	s.buttons = container.NewVBox(s.browser, s.device, s.someoneElse)

	s.keepInMemory = newButton("Keep me signed in until I quit", theme.StorageIcon(), s.onKeepInMemory)
	s.retryKeychain = newButton("Try again", theme.ViewRefreshIcon(), s.onRetryKeychain)
	s.keychainHelp = container.NewVBox(
		widget.NewLabelWithStyle("Without a keychain, Latch can keep your session in memory; it ends when you quit.", fyne.TextAlignLeading, fyne.TextStyle{Italic: true}),
		container.NewVBox(s.keepInMemory, s.retryKeychain), // stacked: side by side, the longer label ran past its button
	)
	s.keychainHelp.Objects[0].(*widget.Label).Wrapping = fyne.TextWrapWord
	s.keychainHelp.Hide()

	s.waitingText = widget.NewLabel("")
	s.waitingText.Alignment = fyne.TextAlignCenter
	s.waitingText.Wrapping = fyne.TextWrapWord
	s.cancelBtn = newButton("Cancel", theme.CancelIcon(), s.onCancel)
	s.busy = newBusy()
	s.addressNote = widget.NewLabel("")
	s.addressNote.Wrapping = fyne.TextWrapWord
	// The address is long (PKCE, state, nonce): it is shown on one line,
	// shortened with an ellipsis, and Copy takes it whole.
	s.address = widget.NewLabel("")
	s.address.Truncation = fyne.TextTruncateEllipsis
	s.address.TextStyle = fyne.TextStyle{Monospace: true}
	s.copyAddress = newButton("Copy address", theme.ContentCopyIcon(), s.onCopyAddress)
	s.deviceInstead = newButton("Use another device instead", theme.ComputerIcon(), s.onDeviceInstead)
	s.addressPanel = container.NewVBox(s.addressNote, s.address, container.NewHBox(s.copyAddress, s.deviceInstead))
	s.addressPanel.Hide()
	s.waiting = container.NewVBox(s.waitingText, s.busy.Slot, s.addressPanel, s.cancelBtn)
	s.waiting.Hide()

	s.userCode = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	s.userCode.TextSize = 32
	s.userCode.TextStyle = fyne.TextStyle{Monospace: true}
	s.userCode.Alignment = fyne.TextAlignCenter
	s.link = widget.NewHyperlink("", nil)
	s.link.Alignment = fyne.TextAlignCenter
	s.qrImage = canvas.NewImageFromImage(nil)
	s.qrImage.FillMode = canvas.ImageFillContain
	s.qrImage.ScaleMode = canvas.ImageScalePixels
	s.qrImage.SetMinSize(fyne.NewSquareSize(qrMinSide))
	s.countdown = widget.NewLabel("")
	s.countdown.Alignment = fyne.TextAlignCenter
	s.deviceIntro = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	s.localNote = widget.NewLabelWithStyle("This address is on this computer only: a phone or another computer cannot open it.", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	s.localNote.Wrapping = fyne.TextWrapWord
	s.devicePanel = container.NewVBox(
		s.deviceIntro,
		s.link,
		widget.NewLabelWithStyle("and enter the code", fyne.TextAlignCenter, fyne.TextStyle{}),
		s.userCode,
		container.NewCenter(s.qrImage),
		s.localNote,
		s.countdown,
	)
	s.devicePanel.Hide()

	title := canvas.NewText("Sign in to Latch", theme.Color(theme.ColorNameForeground))
	title.TextSize = 24
	title.Alignment = fyne.TextAlignCenter
	icon := canvas.NewImageFromResource(theme.AccountIcon())
	icon.SetMinSize(fyne.NewSize(64, 64))
	icon.FillMode = canvas.ImageFillContain
	s.body = container.NewVBox(
		container.NewCenter(icon), title, s.provider, s.message, s.keychainHelp,
		s.buttons, s.waiting, s.devicePanel,
	)
	return container.NewPadded(container.NewCenter(container.New(fixedWidth{width: 380}, s.body)))
}

// showError shows a sentence in place, in the error colour.
func (s *signInScreen) showError(text string) {
	s.message.Importance = widget.DangerImportance
	s.message.SetText(text)
	s.message.Show()
	s.fit()
}

// showInfo shows a neutral sentence in place.
func (s *signInScreen) showInfo(text string) {
	s.message.Importance = widget.MediumImportance
	s.message.SetText(text)
	s.message.Show()
	s.fit()
}

// offerMemory shows the choices for a keychain that cannot be used,
// unless the person chose memory already.
func (s *signInScreen) offerMemory() {
	if !s.inMemory {
		s.keychainHelp.Show()
		s.fit()
	}
}

// onKeepInMemory keeps the session in memory: the sign-in the keychain
// refused is used (see session.Manager.KeepInMemory), else the person
// signs in again.
func (s *signInScreen) onKeepInMemory() {
	s.inMemory = true
	s.keychainHelp.Hide()
	s.useMemory()
	creds, err := s.manager.Held(s.ctx)
	if err == nil && creds != nil {
		s.onSignedIn(creds)
		return
	}
	s.onBrowser()
}

func (s *signInScreen) onRetryKeychain() {
	s.keychainHelp.Hide()
	s.relaunch()
}

func (s *signInScreen) setBusy(text string) {
	s.message.Hide()
	s.keychainHelp.Hide()
	s.buttons.Hide()
	s.waitingText.SetText(text)
	s.waiting.Show()
	s.busy.show()
	s.fit()
}

func (s *signInScreen) setIdle() {
	s.busy.hide()
	s.addressPanel.Hide()
	s.waiting.Hide()
	s.devicePanel.Hide()
	s.buttons.Show()
	s.fit()
}

// cancel stops a sign-in in progress.
func (s *signInScreen) cancel() {
	if s.stopFlow != nil {
		s.stopFlow()
		s.stopFlow = nil
	}
	s.flow, s.onDeviceFlow = nil, false
}

// onDeviceShortcut is Ctrl+D: sign in on another device, leaving a
// browser sign-in under way.
func (s *signInScreen) onDeviceShortcut() {
	switch {
	case s.onDeviceFlow:
	case s.stopFlow != nil:
		s.onDeviceInstead()
	default:
		s.onDevice()
	}
}

func (s *signInScreen) onCancel() {
	if s.stopFlow == nil {
		return
	}
	s.cancel()
	s.setIdle()
	s.showInfo("Sign-in cancelled.")
}

// begin starts a sign-in flow that Cancel, Escape or leaving the screen
// stops, unless one is under way already.
func (s *signInScreen) begin(busy string) (context.Context, bool) {
	if s.stopFlow != nil {
		return nil, false
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.stopFlow, s.flow = cancel, ctx
	s.setBusy(busy)
	return ctx, true
}

func (s *signInScreen) onBrowser() { s.browserSignIn("") }

// onSomeoneElse signs in through the browser, asking the provider for its
// sign-in form even when the browser is signed in there.
func (s *signInScreen) onSomeoneElse() { s.browserSignIn("login") }

// browserSignIn signs in through the browser, with prompt sent to the
// provider when set.
func (s *signInScreen) browserSignIn(prompt string) {
	if s.keychainDown && !s.inMemory {
		s.showError("The system keychain cannot be used, so a sign-in could not be kept there. Choose to stay signed in until you quit, or unlock the keychain and try again.")
		s.offerMemory()
		return
	}
	ctx, ok := s.begin("Waiting for you to sign in in your browser…")
	if !ok {
		return
	}
	m, open, timeout := s.manager, s.open, s.timeout
	show := func(u string, openErr error) { s.do(func() { s.showAddress(ctx, u, openErr) }) }
	s.background.Go(func() {
		creds, err := m.LoginWithBrowser(ctx, session.BrowserLogin{OpenURL: open, ShowURL: show, Timeout: timeout, AppName: "Latch", Prompt: prompt})
		s.do(func() { s.finish(ctx, creds, err) })
	})
}

// showAddress shows the sign-in address with a Copy button while the
// sign-in waits: for when the browser did not open, or the person wants
// another browser. The sign-in goes on either way.
func (s *signInScreen) showAddress(ctx context.Context, u string, openErr error) {
	if ctx.Err() != nil {
		return
	}
	if openErr != nil {
		s.waitingText.SetText("Your browser could not be opened. Open this address in a browser on this computer to sign in; Latch is waiting for it.")
		s.addressNote.Hide()
	} else {
		s.addressNote.SetText("If your browser did not open, or you want another one, open this address on this computer:")
		s.addressNote.Show()
	}
	s.address.SetText(u)
	s.copyAddress.SetText("Copy address")
	s.addressPanel.Show()
	s.fit()
}

// onDeviceInstead leaves the browser sign-in for the device flow.
func (s *signInScreen) onDeviceInstead() {
	s.cancel()
	s.setIdle()
	s.onDevice()
}

// onCopyAddress puts the sign-in address on the clipboard.
func (s *signInScreen) onCopyAddress() {
	s.clipboard(s.address.Text)
	s.copyAddress.SetText("Copied")
}

func (s *signInScreen) onDevice() {
	ctx, ok := s.begin("Asking the provider for a code…")
	if !ok {
		return
	}
	s.onDeviceFlow = true
	m := s.manager
	s.background.Go(func() {
		d, err := m.StartDeviceLogin(ctx)
		if err != nil {
			s.do(func() { s.finish(ctx, nil, err) })
			return
		}
		s.do(func() { s.showDeviceCode(ctx, d) })
		creds, err := d.Wait(ctx)
		s.do(func() { s.finish(ctx, creds, err) })
	})
}

// showDeviceCode shows the code, the URL, a QR code of the complete URL and
// a countdown to expiry.
func (s *signInScreen) showDeviceCode(ctx context.Context, d *session.DeviceLogin) {
	if ctx.Err() != nil {
		return
	}

	s.userCode.Text = d.UserCode
	s.userCode.Refresh()
	s.link.SetText(d.VerificationURI)
	if u, err := url.Parse(d.VerificationURI); err == nil {
		s.link.SetURL(u)
	}
	// An address on this computer (the sandbox's) opens in a browser
	// here alone: no QR code for a phone, and the screen says so.
	local := false
	if u, err := url.Parse(d.VerificationURI); err == nil {
		local = secureurl.Loopback(u.Hostname())
	}
	s.deviceIntro.SetText("On another device, open:")
	s.localNote.Hide()
	s.qrImage.Show()
	s.waitingText.SetText("Waiting for you to sign in on the other device…")
	if local {
		s.waitingText.SetText("Waiting for you to sign in with the code…")
		s.deviceIntro.SetText("In a browser on this computer, open:")
		s.localNote.Show()
		s.qrImage.Hide()
	} else {
		target := d.VerificationURIComplete
		if target == "" {
			target = d.VerificationURI
		}
		if picture, err := qrPicture(target); err == nil {
			s.qrImage.Image = picture
			s.qrImage.SetMinSize(qrSize(picture))
			s.qrImage.Refresh()
		}
	}
	s.devicePanel.Show()
	s.fit()
	s.tick(ctx, d.Expiry)
	s.background.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.do(func() { s.tick(ctx, d.Expiry) })
			}
		}
	})
}

func (s *signInScreen) tick(ctx context.Context, expiry time.Time) {
	if ctx.Err() != nil {
		return
	}
	text := "The code has expired."
	if left := time.Until(expiry); left > 0 {
		text = "The code expires in " + expiresText(left) + "."
	}
	if s.countdown.Text != text {
		s.countdown.SetText(text)
	}
}

// finish ends a sign-in: on to the profile, or the error in place.
func (s *signInScreen) finish(ctx context.Context, creds *session.Credentials, err error) {
	if s.ctx.Err() != nil || ctx != s.flow {
		return // this screen is gone, or this flow was cancelled or replaced
	}
	cancelled := ctx.Err() != nil && errors.Is(err, context.Canceled)
	s.cancel()
	if err == nil {
		s.onSignedIn(creds)
		return
	}
	s.setIdle()
	if cancelled {
		return // onCancel said so already
	}
	s.showError(latchapp.Describe(s.config.AboutIssuer(err)))
	if errors.Is(err, session.ErrKeychainUnavailable) {
		s.offerMemory()
	}
}

// Package ui is Latch's desktop interface, in Fyne. It is the only package
// besides main that imports Fyne; everything it shows comes from a
// [latchapp.Account], and every update from another goroutine reaches the
// widgets through one do function (fyne.Do).
//
// One struct per screen (sign-in, profile, metadata) holds its widgets as
// fields, builds them in a build method and reacts in named on* handlers.
// A screen is given only what it needs, and a context that ends when it is
// left: work that finishes after that touches nothing. The window switches
// between screens.
package ui

import (
	"context"
	"image"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/assets"
	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

// AppID is Latch's application ID, as in FyneApp.toml.
const AppID = "io.github.latchapp.Latch"

// Screen names, as logged and kept in preferences.
const (
	ScreenLoading  = "loading"
	ScreenSignIn   = "signin"
	ScreenProfile  = "profile"
	ScreenMetadata = "metadata"
	ScreenUses     = "uses"
	ScreenProblem  = "problem"
)

// preference keys; nothing secret is ever stored in preferences.
const (
	prefWidth   = "window.person.width"
	prefHeight  = "window.person.height"
	prefLastTab = "window.tab"
)

// legacySizeKeys held the window's size whoever gave it, before Latch
// told the person's size from its own.
var legacySizeKeys = []string{"window.width", "window.height"}

// appWindow is Latch's window: sign-in, then the profile and metadata
// tabs.
type appWindow struct {
	// decision, when set, is the launch decision taken before the window
	// was made; start takes it otherwise.
	decision *launchDecision
	// fontsLoaded, when set, waits for the fonts loaded while the window
	// was made (see loadFonts); start calls it before the first screen.
	fontsLoaded func()
	// framed says the first screen, which logs its first frame, is set.
	framed bool
	// personSized says the window has the size the person gave it, and
	// fitted is the size fitWindow gave it last (see sizedByPerson).
	personSized bool
	fitted      fyne.Size

	fyne    fyne.App
	window  fyne.Window
	account *latchapp.Account
	log     *slog.Logger
	ctx     context.Context

	// do runs a function on Fyne's goroutine: fyne.Do, or in tests a
	// runner that serialises with the test's own access to the widgets.
	do func(func())
	// background runs the window's work off Fyne's goroutine, so that its
	// end can be waited for (tests do, before their folders are removed).
	background *sync.WaitGroup
	// openURL opens the sign-in page; nil opens the person's browser
	// (see session.BrowserLogin), which tests replace.
	openURL func(ctx context.Context, url string) error
	// openPath opens a file in the desktop's program for it; nil asks
	// Fyne (tests replace it).
	openPath func(path string) error
	// repaired is the account that the problem screen opened (see
	// Repair), which its caller closes.
	repaired *latchapp.Account
	// signInTimeout bounds a sign-in, the person's time in the browser
	// included.
	signInTimeout time.Duration
	avatars       *avatarCache

	screen      string
	leaveScreen context.CancelFunc // ends the shown screen's context
	person      profile.Profile    // who is signed in, while signed in
	signIn      *signInScreen
	profile     *profileScreen
	metadata    *metadataScreen
	tabs        *container.AppTabs

	// inMemory is set once the person chose to keep the session in memory
	// only, because the keychain could not be used.
	inMemory bool

	// dialog is the confirmation shown, if any, and what Enter does in it;
	// dialogDismiss, when set, is what Escape does (else it hides it).
	dialog        dialog.Dialog
	dialogConfirm func()
	dialogDismiss func()

	// desk, when set, is the agent's (see question.go): asking is its
	// question shown, with its title; uses is the tab of recent uses;
	// inFront says the window is in front, as the system last told.
	desk        *agent.Desk
	stopDesk    func()
	asking      *agent.Question
	askingTitle *widget.Label
	uses        *usesView
	inFront     bool
	// toldOffline says a notification said the session cannot be renewed
	// now, until it is again; toldInTray, that Latch keeps running in the
	// tray when its window was closed.
	toldOffline, toldInTray bool

	unsubscribe func()
	// stopApp ends ctx, and with it the window's background work.
	stopApp context.CancelFunc

	// accounts, when set, are the accounts the window switches between
	// (see accounts.go); bar lists them above every screen.
	accounts    *latchapp.Accounts
	bar         *accountBar
	accountList []latchapp.AccountSummary
	// seenActive is the active account last seen in its file; switching
	// the account being opened.
	seenActive, switching string
	addDialog             *addAccountDialog
	// listedSignedIn and listedSubject are the session's state when the
	// accounts were last listed for it.
	listedSignedIn bool
	listedSubject  string
	// canSignOutAtProvider says the account's provider can end its own
	// browser session (see signOut), once knowsProviderSignOut;
	// signOutChoice is the sign-out
	// question's choice of it, while asked, and signingOutAtProvider
	// says the sign-out under way ends it.
	canSignOutAtProvider bool
	knowsProviderSignOut bool
	signOutChoice        *widget.Check
	signingOutAtProvider bool
}

// newApp makes Fyne's app and Latch's window for s (nil while the
// configuration cannot be used: see Repair), without showing it; Fyne
// loads the fonts while it connects to the display.
func newApp(ctx context.Context, s *latchapp.Account, log *slog.Logger) *appWindow {
	icon := fyne.NewStaticResource("icon.png", assets.Icon)
	// What `fyne package` would compile in, for every build: the tray's
	// title is the app's name, not its ID.
	app.SetMetadata(fyne.AppMetadata{ID: AppID, Name: "Latch", Version: latchapp.Version(), Icon: icon})
	a := app.NewWithID(AppID)
	applyTheme(a)
	adoptLegacyPreferences(a.Preferences(), filepath.Join(filepath.Dir(a.Storage().RootURI().Path()), legacyAppID))
	fontsLoaded := loadFonts()
	a.SetIcon(icon)
	ui := newAppWindow(ctx, a, a.NewWindow("Latch"), s, log)
	ui.fontsLoaded = fontsLoaded
	return ui
}

// newAppWindow makes the app for s in window w of a, without showing it.
func newAppWindow(ctx context.Context, a fyne.App, w fyne.Window, s *latchapp.Account, log *slog.Logger) *appWindow {
	ctx, stop := context.WithCancel(ctx)
	return &appWindow{
		fyne: a, window: w, account: s, log: log, ctx: ctx, stopApp: stop,
		do: fyne.Do, background: &sync.WaitGroup{}, signInTimeout: 5 * time.Minute, avatars: newAvatarCache(""),
	}
}

// Run opens Latch's window for s, switching between accounts, and returns
// when the app quits.
func Run(ctx context.Context, s *latchapp.Account, accounts *latchapp.Accounts, desk *agent.Desk, opts latchapp.WindowOptions) error {
	// The launch decision reads the keychain while Fyne makes the window.
	decision := decideLaunch(ctx, s)
	ui := newApp(ctx, s, s.Log)
	ui.decision = decision
	ui.accounts = accounts
	ui.desk = desk
	ui.start()
	ui.run(ctx, opts.InTray && trayHost())
	ui.stop()
	if ui.account != s {
		ui.account.Close() // the account switched to; the caller closes s
	}
	return nil
}

// start sets the window up and shows the first screen (see launch).
func (a *appWindow) start() {
	if a.fontsLoaded != nil {
		a.fontsLoaded()
	}
	a.personSized = a.sizeFromPreferences()
	a.window.SetMaster()
	a.window.SetCloseIntercept(a.onClose)
	a.subscribe()
	a.setupShortcuts()
	a.setupAccounts()
	a.updateTray()
	a.followFront()
	a.followDesk()
	a.launch()
}

// subscribe follows the account's session events.
func (a *appWindow) subscribe() {
	a.unsubscribe = a.account.Manager.Subscribe(func(e session.Event) {
		a.do(func() { a.onSessionEvent(e) })
	})
}

// stop ends the subscriptions and background work.
func (a *appWindow) stop() {
	if a.unsubscribe != nil {
		a.unsubscribe()
	}
	if a.stopDesk != nil {
		a.stopDesk()
	}
	if a.leaveScreen != nil {
		a.leaveScreen()
	}
	a.stopApp()
}

func (a *appWindow) showWaiting(text string) {
	b := newBusy()
	content := container.NewCenter(container.NewVBox(
		widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{}),
		b.Slot,
	))
	ctx := a.setScreen(ScreenLoading, content)
	a.fitWindow(content)
	b.show()
	a.busyUntil(ctx, b)
}

// busyUntil stops b when ctx (a screen's) ends.
func (a *appWindow) busyUntil(ctx context.Context, b *busy) {
	a.background.Go(func() {
		<-ctx.Done()
		a.do(b.hide)
	})
}

// setScreen swaps the window's content, ends the context of the screen
// left, and returns the context of the new one.
func (a *appWindow) setScreen(name string, content fyne.CanvasObject) context.Context {
	if a.leaveScreen != nil {
		a.leaveScreen()
	}
	var ctx context.Context
	ctx, a.leaveScreen = context.WithCancel(a.ctx)
	a.screen = name
	a.logScreen()
	if !a.framed {
		// The first screen tells the log when it is first drawn.
		a.framed = true
		content = container.NewStack(content, firstFrame(func() { a.log.Debug("first frame", "screen", name) }))
	}
	if a.bar != nil {
		content = container.NewBorder(a.bar.box, nil, nil, nil, content)
	}
	a.window.SetContent(content)
	return ctx
}

// firstFrame is an invisible object that calls drawn when Fyne first
// draws it: the moment a person first sees the window's content.
func firstFrame(drawn func()) fyne.CanvasObject {
	var once sync.Once
	clear := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	return canvas.NewRaster(func(int, int) image.Image {
		once.Do(drawn)
		return clear
	})
}

func (a *appWindow) logScreen() {
	if a.account == nil {
		a.log.Info("screen", "screen", a.screen)
		return
	}
	a.log.Info("screen", "screen", a.screen, "account", a.account.Config.Account, "subject", a.person.Subject)
}

// Screen is the name of the screen shown.
func (a *appWindow) Screen() string { return a.screen }

// signedIn reports whether the profile, metadata or uses tab is shown.
func (a *appWindow) signedIn() bool {
	return a.screen == ScreenProfile || a.screen == ScreenMetadata || a.screen == ScreenUses
}

func (a *appWindow) showSignIn(reason string) {
	a.person = profile.Profile{}
	a.profile, a.metadata, a.tabs = nil, nil, nil
	a.signIn = &signInScreen{
		manager: a.account.Manager, do: a.do, background: a.background, open: a.openURL, timeout: a.signInTimeout,
		providerName: providerName(a.account.Config), config: a.account.Config, onSignedIn: a.onSignedIn,
		useMemory: a.keepInMemory, relaunch: a.retryLaunch, inMemory: a.inMemory,
		clipboard: func(text string) { a.fyne.Clipboard().SetContent(text) },
	}
	content := a.signIn.build()
	a.signIn.fit = func() { a.fitWindow(content) }
	a.signIn.ctx = a.setScreen(ScreenSignIn, content)
	a.signIn.fit()
	a.busyUntil(a.signIn.ctx, a.signIn.busy)
	if reason != "" {
		a.signIn.showError(reason)
	}
	a.updateTray()
}

// onSignedIn follows a sign-in made on the sign-in screen.
func (a *appWindow) onSignedIn(creds *session.Credentials) {
	// The browser had the front: the window comes back to it, and a
	// notification says it where the desktop keeps the window behind.
	a.window.Show()
	a.window.RequestFocus()
	p, err := latchapp.Person(creds)
	if err == nil {
		a.notify("Latch: signed in", "Signed in as "+latchapp.Printable(p.DisplayName())+".")
	}
	if err != nil {
		a.showSignIn(latchapp.Describe(err))
		return
	}
	a.showProfile(p, creds)
}

func (a *appWindow) showProfile(p profile.Profile, creds *session.Credentials) {
	a.signIn = nil
	a.person = p
	a.profile = &profileScreen{
		account: a.account, do: a.do, background: a.background, avatars: a.avatars, person: p, info: panelInfoOf(creds),
		providerName: providerName(a.account.Config), inMemory: a.inMemory, onSignOut: a.signOut, onPerson: a.onPerson,
		showError: a.showError,
	}
	a.metadata = &metadataScreen{do: a.do, background: a.background, client: a.account.Metadata, userID: p.Subject, window: a.window, ask: a.ask}
	a.metadata.fit = a.fitTabs
	profileTab := container.NewTabItem("Profile", a.profile.build())
	// The metadata tab is built when first shown: the launch draws the
	// profile alone.
	metadataTab := container.NewTabItem("Metadata", container.NewStack())
	a.tabs = container.NewAppTabs(profileTab, metadataTab)
	a.uses = nil
	var usesTab *container.TabItem
	if a.desk != nil {
		a.uses = newUsesView(a.desk, a.account.Config.AccountName())
		usesTab = container.NewTabItem("Recent uses", a.uses.build())
		a.tabs.Append(usesTab)
	}
	var ctx context.Context
	a.tabs.OnSelected = func(t *container.TabItem) {
		a.screen = ScreenProfile
		if t == usesTab {
			a.screen = ScreenUses
		}
		if t == metadataTab {
			a.screen = ScreenMetadata
			if !a.metadata.built() {
				metadataTab.Content = a.metadata.build()
				a.busyUntil(ctx, a.metadata.progress)
				a.tabs.Refresh()
			}
			a.metadata.fit()
			a.metadata.loadOnce()
		}
		a.fyne.Preferences().SetString(prefLastTab, a.screen)
		a.logScreen()
	}
	ctx = a.setScreen(ScreenProfile, a.tabs)
	a.learnProviderSignOut()
	a.fitTabs()
	a.profile.ctx, a.metadata.ctx = ctx, ctx
	a.profile.start()
	if a.fyne.Preferences().String(prefLastTab) == ScreenMetadata {
		a.tabs.Select(metadataTab)
	}
	if a.inMemory {
		a.refreshAccounts() // the bar says so, as the keychain cannot
	}
	a.updateTray()
}

// onPerson follows what the provider's userinfo said of the person.
func (a *appWindow) onPerson(p profile.Profile) {
	a.person = p
	a.fitTabs() // the name, email and avatar may need more room
	a.updateTray()
}

// onSessionEvent follows the session's state, on Fyne's goroutine.
func (a *appWindow) onSessionEvent(e session.Event) {
	if a.profile != nil {
		a.profile.onSessionEvent(e)
	}
	if e.State == session.StateSignedOut && a.signedIn() && a.profile.leaving {
		// Signed out here: the provider is told in the background, and
		// the sign-in screen says how that went.
		atProvider := a.signingOutAtProvider
		a.showSignIn("")
		if atProvider {
			a.signIn.showInfo("You are signed out on this computer. Finish signing out at the provider in your browser…")
		} else {
			a.signIn.showInfo("You are signed out. Telling the provider…")
		}
		return
	}
	if (e.State == session.StateEnded || e.State == session.StateSignedOut) && a.signedIn() && !a.profile.leaving {
		reason := latchapp.Describe(e.Err)
		if reason == "" {
			reason = "You were signed out."
		}
		a.notify("Latch: you are signed out", reason)
		a.showSignIn(reason)
	}
	if e.State == session.StateOffline && e.Err != nil && a.signedIn() && !a.toldOffline {
		a.toldOffline = true // once, until the session is renewed again
		a.notify("Latch: your session cannot be renewed now", latchapp.Describe(e.Err))
	}
	if e.State == session.StateSignedIn {
		a.toldOffline = false
	}
	if e.State == session.StateSignedIn {
		// A sign-in in another program (the command line, say) shows here.
		switch {
		case a.screen == ScreenSignIn && a.signIn != nil && a.signIn.stopFlow == nil,
			a.signedIn() && e.Subject != "" && e.Subject != a.person.Subject:
			a.retryLaunch()
		}
	}
	if signedIn := e.State == session.StateSignedIn || e.State == session.StateRenewing || e.State == session.StateOffline; signedIn != a.listedSignedIn || e.Subject != a.listedSubject {
		// Who is signed in to this account changed: the bar says so.
		a.listedSignedIn, a.listedSubject = signedIn, e.Subject
		a.refreshAccounts()
	}
	a.updateTray()
}

// providerName is how the provider is named on screen.
func providerName(cfg latchapp.Config) string {
	if cfg.Sandbox {
		return "Latch sandbox: demo accounts on this computer"
	}
	return latchapp.Printable(strings.TrimSuffix(cfg.Issuer, "/"))
}

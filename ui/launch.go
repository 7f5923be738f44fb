package ui

import (
	"context"
	"errors"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
)

// The launch: the decision taken from the keychain when Latch starts (see
// [latchapp.Decide]), on a goroutine of its own while Fyne makes the window,
// and the screen it leads to.

// launchWait is how long the window waits for the launch decision before
// it shows a waiting screen: reading the keychain takes a few
// milliseconds, so a person with a valid session sees their profile as
// the first screen, and one whose keychain asks for a password sees that
// Latch is waiting for it.
const launchWait = 250 * time.Millisecond

// launchDecision is the launch decision (see [latchapp.Decide]), taken on a
// goroutine of its own.
type launchDecision struct {
	done     chan latchapp.Launch
	renewing chan struct{} // the decision renews the session first
	asking   chan string   // the keychain asks the person, and who it is
}

// decideLaunch takes the launch decision for the account s, following
// its keychain until the window does (see appWindow.followKeychain).
func decideLaunch(ctx context.Context, s *latchapp.Account) *launchDecision {
	d := &launchDecision{done: make(chan latchapp.Launch, 1), renewing: make(chan struct{}, 1), asking: make(chan string, 1)}
	s.FollowKeychain(func(keeper string) {
		select {
		case d.asking <- keeper:
		default:
		}
	})
	go func() { d.done <- latchapp.Decide(ctx, s.Manager, func() { d.renewing <- struct{}{} }) }()
	return d
}

// launch shows the launch decision's screen when it comes within
// launchWait; otherwise a waiting screen at once, and the decision's
// screen when it comes.
func (a *appWindow) launch() {
	d := a.decision
	if d == nil {
		d = decideLaunch(a.ctx, a.account)
	}
	select {
	case l := <-d.done:
		a.showLaunch(l)
	case keeper := <-d.asking:
		a.keychainAsking(keeper)
		a.background.Go(func() { a.follow(d) })
	case <-d.renewing:
		a.showWaiting("Renewing your session…")
		a.background.Go(func() { a.follow(d) })
	case <-time.After(launchWait):
		a.showWaiting("Checking your session…")
		a.background.Go(func() { a.follow(d) })
	}
}

// follow shows what becomes of a launch decision that a waiting screen
// stands for.
func (a *appWindow) follow(d *launchDecision) {
	for {
		select {
		case <-d.renewing:
			a.do(func() {
				if a.screen == ScreenLoading {
					a.showWaiting("Renewing your session…")
				}
			})
		case keeper := <-d.asking:
			a.do(func() { a.keychainAsking(keeper) })
		case l := <-d.done:
			a.do(func() { a.showLaunch(l) })
			return
		}
	}
}

// showLaunch shows the screen of the launch decision.
func (a *appWindow) showLaunch(l latchapp.Launch) {
	a.followKeychain()
	if l.Next == latchapp.ShowProfile {
		a.showProfile(l.Person, l.Creds)
		return
	}
	if l.Reason != nil {
		a.log.Info("no session to show", "why", latchapp.Describe(l.Reason))
	}
	a.showSignIn(latchapp.Describe(l.Reason))
	if errors.Is(l.Reason, session.ErrKeychainUnavailable) {
		// Known before any browser trip: a sign-in waits for the
		// person's choice (keep in memory, or try again).
		a.signIn.keychainDown = true
		a.signIn.offerMemory()
	}
}

// keepInMemory is the person's choice when the keychain cannot be used:
// the session is kept in memory until Latch quits, never in a file.
func (a *appWindow) keepInMemory() {
	a.account.Manager.KeepInMemory()
	a.inMemory = true
	a.log.Info("keeping the session in memory only, as asked")
}

// retryLaunch takes the launch decision again, after the keychain was
// fixed.
func (a *appWindow) retryLaunch() {
	a.showWaiting("Checking your session…")
	d := decideLaunch(a.ctx, a.account)
	a.background.Go(func() { a.follow(d) })
}

// followKeychain has the window told when the account's keychain asks the
// person, whatever the window is doing.
func (a *appWindow) followKeychain() {
	a.account.FollowKeychain(func(keeper string) {
		a.do(func() { a.keychainAsking(keeper) })
	})
}

// keychainAsking says that the keychain is asking the person, and what to
// answer, in the window: on the waiting screen, or as the session's state
// on the profile. The window waits for the answer as long as the
// keychain's question is open.
func (a *appWindow) keychainAsking(keeper string) {
	said := latchapp.Asking(keeper)
	a.log.Info("the keychain is asking", "keeper", keeper, "said", said)
	switch {
	case a.screen == ScreenLoading, a.screen == "":
		// Waiting, or at launch before any screen.
		a.showWaiting(said)
	case a.profile != nil:
		a.profile.state.SetText(said)
	}
}

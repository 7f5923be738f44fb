package ui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
)

// Sign-out from the window: asked first, then the session is revoked at
// the provider and cleared from the keychain, and the sign-in screen says
// how that went.

// prefSignOutAtProvider remembers the person's choice of ending the
// provider's browser session at sign-out.
const prefSignOutAtProvider = "signout.provider"

// signOut asks, then revokes and clears, then goes back to sign-in. Where
// the provider can end its own browser session, the question offers that
// too (remembered): then the next sign-in asks who signs in, where the
// provider would otherwise sign the same person in again.
func (a *appWindow) signOut() {
	if !a.signedIn() || a.dialog != nil {
		return
	}
	a.signOutChoice = nil
	text := "Latch will revoke your session at the provider and remove it from this computer."
	if !a.canSignOutAtProvider {
		if a.knowsProviderSignOut {
			text += " This provider offers no sign-out in the browser, so it may sign the same person in again without asking; use Sign in as someone else to choose."
		}
		a.confirm("Sign out?", text, "Sign out", func() { a.doSignOut(false) })
		return
	}
	text += " Signing out at the provider too, in your browser, lets someone else sign in next; it ends your session there for every app of this browser, and at some providers (Keycloak, for one) your other Latch accounts signed in there as you too."
	atProvider := widget.NewCheck("Also sign out at the provider", nil)
	atProvider.SetChecked(a.fyne.Preferences().Bool(prefSignOutAtProvider))
	a.confirmWith("Sign out?", text, atProvider, "Sign out", func() {
		a.fyne.Preferences().SetBool(prefSignOutAtProvider, atProvider.Checked)
		a.doSignOut(atProvider.Checked)
	})
	a.signOutChoice = atProvider
}

// learnProviderSignOut finds out, off Fyne's goroutine, whether the
// account's provider can end its own browser session.
func (a *appWindow) learnProviderSignOut() {
	account := a.account
	a.background.Go(func() {
		ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
		defer cancel()
		can, err := account.CanSignOutAtProvider(ctx)
		if err != nil {
			return // asked again when the profile is shown next
		}
		a.do(func() {
			if a.account == account {
				a.canSignOutAtProvider, a.knowsProviderSignOut = can, true
			}
		})
	})
}

func (a *appWindow) doSignOut(atProvider bool) {
	if a.profile != nil {
		a.profile.signingOut()
	}
	a.signingOutAtProvider = atProvider
	m := a.account.Manager
	a.background.Go(func() {
		if !atProvider {
			ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
			defer cancel()
			err := m.Logout(ctx)
			a.do(func() { a.signedOut(err) })
			return
		}
		ctx, cancel := context.WithTimeout(a.ctx, a.signInTimeout)
		defer cancel()
		err := m.LogoutWithBrowser(ctx, session.BrowserLogin{OpenURL: a.openURL, AppName: "Latch"})
		a.do(func() { a.signedOut(err) })
	})
}

// signedOut shows how a sign-out ended: err nil, or saying the provider
// was not told; any other error means nothing was changed, or, after a
// sign-out at the provider, that the browser part did not end.
func (a *appWindow) signedOut(err error) {
	atProvider := a.signingOutAtProvider
	a.signingOutAtProvider = false
	_, held := a.account.Manager.Held(a.ctx)
	signedOutHere := errors.Is(held, session.ErrNoCredentials)
	done := latchapp.SignedOut(err) || (atProvider && signedOutHere)
	leaving := a.profile != nil && a.profile.leaving
	switch {
	case !done && leaving:
		a.profile.signOutFailed()
		a.showError("Not signed out", err)
		return
	case !done:
		return
	case leaving:
		a.showSignIn("")
	case a.screen != ScreenSignIn:
		return // the person moved on
	}
	text := "You are signed out."
	switch {
	case atProvider && latchapp.SignedOut(err):
		text = "You are signed out, here and at the provider."
		if err != nil {
			text += " " + latchapp.Describe(err)
		}
	case atProvider:
		text = "You are signed out on this computer, but not at the provider, which may sign you in again without asking."
	case err != nil:
		text = "You are signed out on this computer. " + latchapp.Describe(err)
	}
	a.signIn.showInfo(text)
	a.refreshAccounts()
}

package ui

import (
	"context"
	"errors"
	"time"

	"github.com/latchapp/latch/internal/core"
	"github.com/latchapp/latch/session"
)

// Sign-out from the window: asked first, then the session is revoked at
// the provider and cleared from the keychain, and the sign-in screen says
// how that went.

// signOut asks, then revokes and clears, then goes back to sign-in.
func (a *appWindow) signOut() {
	if !a.signedIn() {
		return
	}
	a.confirm("Sign out?", "Latch will revoke your session at the provider and remove it from this computer.", "Sign out", a.doSignOut)
}

func (a *appWindow) doSignOut() {
	if a.profile != nil {
		a.profile.signingOut()
	}
	a.background.Go(func() {
		ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
		defer cancel()
		err := a.account.Manager.Logout(ctx)
		a.do(func() { a.signedOut(err) })
	})
}

// signedOut shows how a sign-out ended: err nil, or saying the provider
// was not told; any other error means nothing was changed.
func (a *appWindow) signedOut(err error) {
	done := err == nil || errors.Is(err, session.ErrRevocationPending) || errors.Is(err, session.ErrRevocationUnsupported)
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
	if err != nil {
		text = "You are signed out on this computer. " + core.Describe(err)
	}
	a.signIn.showInfo(text)
}

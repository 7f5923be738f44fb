package cli

import (
	"errors"
	"flag"
	"fmt"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
)

var logoutCommand = command{
	usage: `latch logout [--provider [--no-browser]] [--local] [--all]

Removes the session from the keychain and revokes the refresh token at
the provider. When the provider cannot be reached, the revocation is kept
in the keychain and sent by the next command that reaches the provider
(latch status, latch login, a renewal, latch logout again) or by the
app, which tries every minute.

A provider that keeps its own session in your browser (as Auth0's single
sign-on does) signs the same person in again at the next sign-in without
asking: --provider ends that session too: for every app of that browser,
and at some providers (Keycloak, for one) for your other Latch accounts
signed in there as you. Where the provider offers no sign-out page, Latch
says so.

--local signs out on this computer only: the provider is not told, and
the refresh token stays valid there until it expires. --all signs out of
every account in the config file (with --local, on this computer only).
`,
	// The deadline is the run's: a sign-out at the provider waits for
	// the person as a sign-in does.
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &logoutOptions{globalOptions: g}
		fs.BoolVar(&o.provider, "provider", false, "end the provider's session in your browser too: open its sign-out page and wait until it sends the browser back")
		fs.BoolVar(&o.noBrowser, "no-browser", false, "with --provider, print the sign-out page's address instead of opening it")
		fs.BoolVar(&o.local, "local", false, "sign out on this computer only, without telling the provider (its refresh token stays valid there until it expires)")
		fs.BoolVar(&o.all, "all", false, "sign out of every account in the config file")
		return o
	},
}

// logoutOptions are the options of latch logout.
type logoutOptions struct {
	*globalOptions
	// provider ends the provider's browser session too; noBrowser prints
	// its address instead of opening a browser; local tells the provider
	// nothing; all signs out of every account.
	provider, noBrowser, local, all bool
}

func (o *logoutOptions) run(args []string) error {
	deadline := commandDeadline
	if o.provider {
		deadline = providerSignOutDeadline
	}
	cancel := o.withDeadline(deadline)
	defer cancel()
	if err := noArgs(args); err != nil {
		return err
	}
	switch {
	case o.noBrowser && !o.provider:
		return usagef("--no-browser goes with --provider")
	case o.local && o.provider:
		return usagef("--local tells the provider nothing, and --provider signs out there: choose one")
	case o.all && o.provider:
		return usagef("--provider signs out in the browser, one account at a time: use it with --account, not --all")
	case o.all:
		return o.runAll()
	}
	a, err := o.open(renewOnUse, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	// The agent reads the keychain afresh, whatever became of the
	// sign-out.
	defer o.forgetInAgent(a.Config)
	_, held := a.Manager.Held(o.ctx)
	signedIn := !errors.Is(held, session.ErrNoCredentials)
	if o.provider {
		return o.atProvider(a, signedIn)
	}
	text, err := o.signOut(a, signedIn)
	if err != nil {
		return err
	}
	fmt.Fprintln(o.env.Stderr, text)
	return nil
}

// runAll is latch logout --all: each account of the config file signed
// out in turn, a line each; an account that cannot be signed out is said
// in its line, and the others are still signed out.
func (o *logoutOptions) runAll() error {
	accounts := o.accounts(renewOnUse)
	names, err := accounts.Names()
	if err != nil {
		return err
	}
	var failed error
	for _, name := range names {
		text, err := o.signOutAccount(accounts, name)
		if err != nil {
			failed = err
			text = "not signed out: " + o.describe(err)
		}
		fmt.Fprintf(o.env.Stderr, "%s: %s\n", name, text)
	}
	if failed != nil {
		return saidExit{code: exitFail} // each account's line said why
	}
	return nil
}

// signOutAccount signs out of the account name of accounts (see
// signOut).
func (o *logoutOptions) signOutAccount(accounts *latchapp.Accounts, name string) (string, error) {
	a, err := accounts.Open(o.ctx, name)
	if err != nil {
		return "", err
	}
	defer a.Close()
	defer o.forgetInAgent(a.Config)
	_, held := a.Manager.Held(o.ctx)
	return o.signOut(a, !errors.Is(held, session.ErrNoCredentials))
}

// signOut signs out of a, and says how that went; signedIn says a
// session was held.
func (o *logoutOptions) signOut(a *latchapp.Account, signedIn bool) (string, error) {
	if o.local {
		if err := a.Manager.LogoutLocally(o.ctx); err != nil {
			return "", err
		}
		if !signedIn {
			return "Not signed in; nothing to do.", nil
		}
		return "Signed out on this computer; the provider was not told, and the refresh token stays valid there until it expires.", nil
	}
	// Signed in or not, the provider is told of every sign-out it has not
	// heard of yet.
	err := a.Manager.Logout(o.ctx)
	switch {
	case !latchapp.SignedOut(err):
		return "", err // nothing was changed
	case !signedIn && err == nil:
		return "Not signed in; nothing to do.", nil
	case !signedIn:
		return "Not signed in. " + latchapp.Describe(err), nil
	case err == nil:
		return "Signed out.", nil
	}
	return "Signed out on this computer. " + latchapp.Describe(err), nil
}

// atProvider signs out here and at the provider, in the browser.
func (o *logoutOptions) atProvider(a *latchapp.Account, signedIn bool) error {
	can, err := a.CanSignOutAtProvider(o.ctx)
	if err != nil {
		return err
	}
	if !can {
		err := a.Manager.Logout(o.ctx)
		if !latchapp.SignedOut(err) {
			return err
		}
		text := "Signed out on this computer; this provider offers no sign-out in the browser, so it may sign you in again without asking."
		if err != nil {
			text += " " + latchapp.Describe(err)
		}
		fmt.Fprintln(o.env.Stderr, text)
		return nil
	}
	stderr := o.env.Stderr
	flow := o.browserFlow(o.noBrowser, "sign out at the provider", "the provider's sign-out")
	if show := flow.ShowURL; show != nil {
		// The sign-out here is made before the page is shown: the wait
		// that follows is the provider's alone, and the person may end it.
		flow.ShowURL = func(u string, openErr error) {
			show(u, openErr)
			fmt.Fprintf(stderr, "You are signed out on this computer. Waiting up to %s for the provider's page to send the browser back; if it shows an error instead, press Ctrl+C (you stay signed out here).\n", o.deadline)
		}
	}
	err = a.Manager.LogoutWithBrowser(o.ctx, flow)
	switch {
	case err == nil:
		fmt.Fprintln(stderr, "Signed out, here and at the provider.")
	case latchapp.SignedOut(err):
		fmt.Fprintln(stderr, "Signed out at the provider's page. "+latchapp.Describe(err))
	default:
		if _, held := a.Manager.Held(o.ctx); signedIn && !errors.Is(held, session.ErrNoCredentials) {
			return err // nothing was changed
		}
		why := latchapp.Describe(err)
		if errors.Is(err, session.ErrSignInTimedOut) {
			why = "The provider's sign-out page did not send the browser back in time."
		}
		return errors.New("Signed out on this computer, but not at the provider, which may sign you in again without asking. " + why)
	}
	return nil
}

package cli

import (
	"errors"
	"flag"
	"fmt"

	"github.com/latchapp/latch/internal/core"
	"github.com/latchapp/latch/session"
)

var logoutCommand = command{
	usage: `latch logout

Removes the session from the keychain and revokes the refresh token at
the provider. When the provider cannot be reached, the revocation is kept
in the keychain and sent by the next command that reaches the provider
(latch status, latch login, a renewal, latch logout again) or by the
app, which tries every minute.
`,
	deadline: commandDeadline,
	options: func(inv *invocation, _ *flag.FlagSet) func([]string) error {
		return (&logoutOptions{invocation: inv}).run
	},
}

// logoutOptions are the options of latch logout: those of every command.
type logoutOptions struct{ *invocation }

func (o *logoutOptions) run(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	a, err := o.open(renewWhenNeeded, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	_, held := a.Manager.Held(o.ctx)
	signedIn := !errors.Is(held, session.ErrNoCredentials)
	// Signed in or not, the provider is told of every sign-out it has not
	// heard of yet.
	err = a.Manager.Logout(o.ctx)
	done := err == nil || errors.Is(err, session.ErrRevocationPending) || errors.Is(err, session.ErrRevocationUnsupported)
	switch {
	case !done:
		return err // nothing was changed
	case !signedIn && err == nil:
		fmt.Fprintln(o.env.Stderr, "Not signed in; nothing to do.")
	case !signedIn:
		fmt.Fprintln(o.env.Stderr, "Not signed in. "+core.Describe(err))
	case err == nil:
		fmt.Fprintln(o.env.Stderr, "Signed out.")
	default:
		fmt.Fprintln(o.env.Stderr, "Signed out on this computer. "+core.Describe(err))
	}
	return nil
}

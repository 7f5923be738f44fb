package cli

import (
	"errors"
	"fmt"

	"github.com/latchapp/latch/internal/core"
	"github.com/latchapp/latch/session"
)

var logoutCommand = command{
	usage: `latch logout

Removes the session from the keychain and revokes the refresh token at
the provider. When the provider cannot be reached, the revocation is kept
in the keychain and sent the next time Latch runs.
`,
	run: (*runner).logout,
}

func (r *runner) logout(args []string) error {
	s, err := r.open(args, true)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Manager.Current(r.ctx); errors.Is(err, session.ErrNoCredentials) {
		if err := s.Manager.SendRevocations(r.ctx); err != nil {
			fmt.Fprintln(r.env.Stderr, "Not signed in. "+core.Describe(err))
			return nil
		}
		fmt.Fprintln(r.env.Stderr, "Not signed in; nothing to do.")
		return nil
	}
	err = s.Manager.Logout(r.ctx)
	switch {
	case err == nil:
		fmt.Fprintln(r.env.Stderr, "Signed out.")
	case errors.Is(err, session.ErrRevocationPending), errors.Is(err, session.ErrRevocationUnsupported):
		fmt.Fprintln(r.env.Stderr, "Signed out on this computer. "+core.Describe(err))
	default:
		return err // nothing was changed
	}
	return nil
}

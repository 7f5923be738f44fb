package cli

import (
	"errors"
	"fmt"

	"latch/session"
)

var logoutCommand = command{
	usage: `latch logout

Revokes the refresh token at the provider and removes the session from
the keychain (even when the provider cannot be reached).
`,
	run: (*runner).logout,
}

// notToldError is a sign-out done here that the provider did not hear of.
type notToldError struct{ err error }

func (e notToldError) Error() string {
	return "signed out on this computer, but the provider was not told: " + e.err.Error()
}

func (e notToldError) Unwrap() error { return e.err }

func (r *runner) logout(args []string) error {
	s, err := r.open(args, true)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Manager.Current(r.ctx); errors.Is(err, session.ErrNoCredentials) {
		fmt.Fprintln(r.env.Stderr, "Not signed in; nothing to do.")
		return nil
	}
	if err := s.Manager.Logout(r.ctx); err != nil {
		if s.Manager.HasValid(r.ctx, 0) {
			return err
		}
		return notToldError{err}
	}
	fmt.Fprintln(r.env.Stderr, "Signed out.")
	return nil
}

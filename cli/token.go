package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/latchapp/latch/internal/core"
	"github.com/latchapp/latch/session"
)

var tokenCommand = command{
	usage: `latch token [--min-ttl DURATION]
latch token --name NAME [--audience AUD] [--scopes "A B"] [--min-ttl DURATION]
latch token --name NAME --remove

Prints a valid access token, renewing it first when it expires within
--min-ttl (default 30s). Use it as a credential helper.

With --name, prints the named token NAME: an access token for one API,
obtained with the session's refresh token on first use and kept in the
keychain after. NAME is declared in the config file ([apis.NAME] with
audience and scopes), or given here with --audience (and --scopes), which
then say what the token is for, not the session. The provider issues a
token only for an API that the sign-in asked for: declare it and run
latch login again. --remove deletes the named token from the keychain.

A DPoP token (--dpop) needs a fresh proof with each request: use
latch header instead.
`,
	flags: func(fs *flag.FlagSet, r *runner) {
		fs.DurationVar(&r.minTTL, "min-ttl", 30*time.Second, "")
		fs.StringVar(&r.name, "name", "", "")
		fs.BoolVar(&r.remove, "remove", false, "")
	},
	run: (*runner).token,
}

func (r *runner) token(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if r.minTTL < 0 {
		return usagef("--min-ttl must not be negative")
	}
	if r.name == "" {
		if r.remove {
			return usagef("--remove needs --name: the session's own token goes with latch logout")
		}
		return r.sessionToken()
	}
	named, err := r.namedToken()
	if err != nil {
		return err
	}
	s, err := r.open(nil, true)
	if err != nil {
		return err
	}
	defer s.Close()
	t := named(s.Manager)
	if r.remove {
		if err := t.Remove(r.ctx); err != nil {
			return err
		}
		fmt.Fprintf(r.env.Stderr, "Removed the token %s from the keychain.\n", field(r.name))
		return nil
	}
	creds, err := t.Credentials(r.ctx, r.minTTL)
	if err != nil {
		return err
	}
	fmt.Fprintln(r.env.Stdout, creds.AccessToken)
	return nil
}

func (r *runner) sessionToken() error {
	s, err := r.open(nil, true)
	if err != nil {
		return err
	}
	defer s.Close()
	creds, err := s.Manager.Credentials(r.ctx, r.minTTL)
	if err != nil {
		return err
	}
	fmt.Fprintln(r.env.Stdout, creds.AccessToken)
	return nil
}

// namedToken reads --name, --audience and --scopes: with --name, the
// latter two say what the named token is for, and are taken from the
// provider settings.
func (r *runner) namedToken() (func(*session.Manager) *session.NamedToken, error) {
	name := r.name
	audience, scopes := r.settings.Audience, core.SplitScopes(r.settings.Scopes)
	given := r.settings.Set["audience"]
	if r.settings.Set["scopes"] && !given {
		return nil, usagef("--scopes with --name needs --audience: say which API the token is for")
	}
	if given && r.remove {
		return nil, usagef("--remove takes only --name")
	}
	delete(r.settings.Set, "audience")
	delete(r.settings.Set, "scopes")
	r.settings.Audience, r.settings.Scopes = "", ""
	if !given {
		return func(m *session.Manager) *session.NamedToken { return m.NamedToken(name) }, nil
	}
	api := session.API{Audience: audience, Scopes: scopes}
	return func(m *session.Manager) *session.NamedToken { return m.NamedTokenFor(name, api) }, nil
}

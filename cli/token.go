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
	deadline: commandDeadline,
	options: func(inv *invocation, fs *flag.FlagSet) func([]string) error {
		o := &tokenOptions{invocation: inv}
		fs.DurationVar(&o.minTTL, "min-ttl", 30*time.Second, "")
		fs.StringVar(&o.name, "name", "", "")
		fs.BoolVar(&o.remove, "remove", false, "")
		return o.run
	},
}

// tokenOptions are the options of latch token.
type tokenOptions struct {
	*invocation
	minTTL time.Duration
	name   string
	remove bool
}

func (o *tokenOptions) run(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if o.minTTL < 0 {
		return usagef("--min-ttl must not be negative")
	}
	if o.name == "" {
		if o.remove {
			return usagef("--remove needs --name: the session's own token goes with latch logout")
		}
		return o.sessionToken()
	}
	apis, err := o.namedAPI()
	if err != nil {
		return err
	}
	a, err := o.open(renewWhenNeeded, apis)
	if err != nil {
		return err
	}
	defer a.Close()
	if !o.remove {
		if err := knownAPI(o.invocation, a, o.name); err != nil {
			return err
		}
	}
	t := a.Manager.NamedToken(o.name)
	if o.remove {
		if err := t.Remove(o.ctx); err != nil {
			return err
		}
		fmt.Fprintf(o.env.Stderr, "Removed the token %s from the keychain.\n", field(o.name))
		return nil
	}
	creds, err := t.Credentials(o.ctx, o.minTTL)
	if err != nil {
		return err
	}
	fmt.Fprintln(o.env.Stdout, creds.AccessToken)
	return nil
}

func (o *tokenOptions) sessionToken() error {
	a, err := o.open(renewWhenNeeded, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	creds, err := a.Manager.Credentials(o.ctx, o.minTTL)
	if err != nil {
		return err
	}
	fmt.Fprintln(o.env.Stdout, creds.AccessToken)
	return nil
}

// knownAPI refuses, as a usage error, a name that the configuration does
// not declare and the keychain does not hold.
func knownAPI(inv *invocation, a *core.Account, name string) error {
	if _, ok := a.Config.APIs[name]; ok {
		return nil
	}
	list, err := a.Manager.Tokens(inv.ctx)
	if err != nil {
		return err
	}
	for _, t := range list {
		if t.Name == name {
			return nil
		}
	}
	return usagef("no API is declared under the name %s: declare it in the config file ([apis.%s] with its audience and scopes), or give its audience with --audience", field(name), field(name))
}

// namedAPI reads --audience and --scopes, which with --name say what the
// named token is for instead of configuring the session: the API to
// declare for this run, or none when the name's declaration is used.
func (o *tokenOptions) namedAPI() (map[string]session.API, error) {
	audience, scopes := o.settings.Audience, core.SplitScopes(o.settings.Scopes)
	given := o.settings.Set["audience"]
	if o.settings.Set["scopes"] && !given {
		return nil, usagef("--scopes with --name needs --audience: say which API the token is for")
	}
	if given && o.remove {
		return nil, usagef("--remove takes only --name")
	}
	delete(o.settings.Set, "audience")
	delete(o.settings.Set, "scopes")
	o.settings.Audience, o.settings.Scopes = "", ""
	if !given {
		return nil, nil
	}
	return map[string]session.API{o.name: {Audience: audience, Scopes: scopes}}, nil
}

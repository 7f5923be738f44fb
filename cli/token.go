package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
)

var tokenCommand = command{
	usage: `latch token [--min-ttl DURATION] [--id-token] [--output raw|json|env|exec-credential]
latch token --name NAME [--audience AUD] [--scopes "A B"] [--min-ttl DURATION] [--output ...]
latch token --name NAME --remove

Prints a valid access token, renewing it first when it is about to
expire. Use it as a credential helper: eval "$(latch token --output env)"
in a shell, and as kubectl's credential plugin (see latch setup kubectl),
where with nobody signed in it signs you in first when kubectl runs in a
terminal, and never otherwise.

A named token is an access token for one API, obtained with the session's
refresh token on first use and kept in the keychain after. Its NAME is
declared in the config file ([apis.NAME] with audience and scopes), or
given here with --audience (and --scopes), which then say what the token
is for, not the session. The provider issues a token only for an API that
the sign-in asked for: declare it and run latch login again.

A DPoP token (--dpop) needs a fresh proof with each request: use
latch header instead.
`,
	// The deadline is the run's: kubectl's credential plugin may sign in.
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &tokenOptions{globalOptions: g}
		fs.DurationVar(&o.minTTL, "min-ttl", 30*time.Second, "renew first when the token expires within this `DURATION`")
		fs.StringVar(&o.name, "name", "", "print the named token `NAME`: an access token for one API (see above)")
		fs.BoolVar(&o.remove, "remove", false, "with --name, delete the named token from the keychain")
		fs.BoolVar(&o.idToken, "id-token", false, "print the ID token instead, renewed the same way when its exp is near")
		fs.StringVar(&o.output, "output", outputRaw, "how to print it, `FORMAT`: raw (the token alone); json (the token, its kind, type, expiry in RFC 3339, scopes and audience; never the refresh token); env (shell export lines of LATCH_TOKEN, LATCH_TOKEN_KIND, LATCH_TOKEN_TYPE, LATCH_TOKEN_EXPIRY, LATCH_TOKEN_SCOPES and LATCH_TOKEN_AUDIENCE, quoted for sh, bash and zsh); exec-credential (a Kubernetes ExecCredential, for kubectl)")
		return o
	},
}

// tokenOptions are the options of latch token.
type tokenOptions struct {
	*globalOptions
	minTTL  time.Duration
	name    string
	remove  bool
	idToken bool
	output  string
	// execAPIVersion is the ExecCredential version kubectl asked for;
	// interactive says a sign-in may be made for it.
	execAPIVersion string
	interactive    bool
}

func (o *tokenOptions) run(args []string) error {
	if o.output == outputExecCredential {
		info, fromKubectl, err := readExecInfo(o.env.Getenv("KUBERNETES_EXEC_INFO"))
		if err != nil {
			return err
		}
		o.execAPIVersion, o.interactive = info.APIVersion, info.Spec.Interactive
		if !fromKubectl {
			o.execAPIVersion, o.interactive = execAPIVersions[0], stdinIsTerminal()
		}
		// A detached child renews; a sign-in is its parent's.
		o.interactive = o.interactive && !o.finishing()
		o.signInMayFollow = o.interactive
	}
	deadline := commandDeadline
	if o.interactive {
		deadline = signInDeadline
	}
	cancel := o.withDeadline(deadline)
	defer cancel()
	if err := noArgs(args); err != nil {
		return err
	}
	if o.minTTL < 0 {
		return usagef("--min-ttl must not be negative")
	}
	switch o.output {
	case outputRaw, outputJSON, outputEnv, outputExecCredential:
	default:
		return usagef("--output is raw, json, env or exec-credential, not %q", o.output)
	}
	if o.name == "" && o.remove {
		return usagef("--remove needs --name: the session's own token goes with latch logout")
	}
	if o.name != "" && o.idToken {
		return usagef("--id-token is the session's: a named token is an access token for one API")
	}
	apis, err := o.namedAPI()
	if err != nil {
		return err
	}
	cfg, err := o.configWith(apis)
	if err != nil {
		return err
	}
	if o.remove {
		return o.removeNamed(cfg)
	}
	req := latchapp.TokenRequest{Name: o.name, MinTTL: o.minTTL, IDToken: o.idToken}
	t, err := o.token(cfg, req, "")
	if o.interactive && (errors.Is(err, session.ErrNoCredentials) || errors.Is(err, session.ErrSignInRequired)) {
		// kubectl's credential plugin in a terminal signs in first, as
		// kubelogin does; its output stays kubectl's alone.
		fmt.Fprintln(o.env.Stderr, latchapp.Describe(err)+" Signing in for kubectl.")
		if err = o.signInForKubectl(cfg); err == nil {
			t, err = o.token(cfg, req, "")
		}
	}
	if err != nil {
		return err
	}
	return writeToken(o.env.Stdout, t, o.output, o.execAPIVersion)
}

// signInForKubectl signs in, in this process.
func (o *tokenOptions) signInForKubectl(cfg latchapp.Config) error {
	_, err := here(o.globalOptions, cfg, func(a *latchapp.Account) (*session.Credentials, error) {
		return (signInOptions{}).signIn(o.globalOptions, a)
	})
	return err
}

// removeNamed deletes the named token from the keychain, and tells the
// agent.
func (o *tokenOptions) removeNamed(cfg latchapp.Config) error {
	if _, err := here(o.globalOptions, cfg, func(a *latchapp.Account) (struct{}, error) {
		return struct{}{}, a.Manager.NamedToken(o.name).Remove(o.ctx)
	}); err != nil {
		return err
	}
	o.forgetInAgent(cfg)
	fmt.Fprintf(o.env.Stderr, "Removed the token %s from the keychain.\n", field(o.name))
	return nil
}

// stdinIsTerminal says whether the process reads a terminal, where a
// person could sign in.
func stdinIsTerminal() bool {
	info, err := os.Stdin.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// namedAPI reads --audience and --scopes, which with --name say what the
// named token is for instead of configuring the session: the API to
// declare for this run, or none when the name's declaration is used.
func (o *tokenOptions) namedAPI() (map[string]session.API, error) {
	audience, scopes := o.settings.Audience, latchapp.SplitScopes(o.settings.Scopes)
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

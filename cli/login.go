package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

var loginCommand = command{
	usage: `latch login [--device] [--no-browser] [--prompt login|select_account|consent] [--login-hint NAME]

Signs you in: through your browser, or on another device. To sign in as
someone else, give --prompt (and --login-hint): the session held is
replaced once the new sign-in succeeds, and its refresh token is revoked.
--prompt login asks for the provider's sign-in form even when your browser
is signed in there, select_account for its account chooser, and consent
for its consent screen (to grant again what Latch asks for).
To sign in to another account of yours, see latch accounts.
`,
	deadline: signInDeadline,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &loginOptions{globalOptions: g}
		o.signIn.flags(fs)
		return o
	},
}

// loginOptions are the options of latch login.
type loginOptions struct {
	*globalOptions
	signIn signInOptions
}

// signInOptions say how to sign in, for latch login and latch
// --no-window.
type signInOptions struct {
	// device signs in on another device; noBrowser prints the address
	// instead of opening a browser.
	device, noBrowser bool
	// prompt and loginHint are sent to the provider (see
	// session.BrowserLogin).
	prompt, loginHint string
}

func (s *signInOptions) flags(fs *flag.FlagSet) {
	fs.BoolVar(&s.device, "device", false, "sign in on another device: a code to enter at an address")
	fs.BoolVar(&s.noBrowser, "no-browser", false, "print the sign-in address alone on one line of stdout, and wait for the browser's callback")
	fs.StringVar(&s.prompt, "prompt", "", "ask the provider for its sign-in form even when your browser is signed in there (login), its account chooser (select_account) or its consent screen (consent): `PROMPT`")
	fs.StringVar(&s.loginHint, "login-hint", "", "tell the provider who signs in, `NAME`")
}

// someoneElse says the sign-in asks for another person than the one the
// provider's browser session holds.
// prompts are the values of --prompt: OpenID Connect's prompt values
// that ask the person for something (none asks nothing, so it cannot sign
// anyone in).
var prompts = []string{"login", "select_account", "consent"}

// checkPrompt refuses a --prompt that is not one of prompts (space
// separated, as OpenID Connect allows several), before any browser opens.
func checkPrompt(prompt string) error {
	for p := range strings.FieldsSeq(prompt) {
		if !slices.Contains(prompts, p) {
			return usagef("--prompt is login, select_account or consent, not %q", p)
		}
	}
	return nil
}

func (s signInOptions) someoneElse() bool { return s.prompt != "" || s.loginHint != "" }

func (o *loginOptions) run(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	a, err := o.open(renewOnUse, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	// The launch decision, as the app takes it: a session held and valid,
	// or renewed, or held while the provider cannot be reached, is the
	// person still signed in.
	if err := checkPrompt(o.signIn.prompt); err != nil {
		return err
	}
	if o.signIn.device && o.signIn.someoneElse() {
		return usagef("--prompt and --login-hint are for a sign-in through the browser, not --device")
	}
	l := latchapp.Decide(o.ctx, a.Manager, nil)
	switch {
	case l.Next == latchapp.ShowProfile && o.signIn.someoneElse():
		fmt.Fprintf(o.env.Stderr, "Signed in as %s; signing in again as asked.\n", signedInAs(l.Person))
	case l.Next == latchapp.ShowProfile:
		fmt.Fprintf(o.env.Stderr, "Already signed in to the account %s as %s. To sign in as someone else run latch login --prompt login, or see latch accounts.\n", a.Config.Account, signedInAs(l.Person))
		return nil
	case l.Reason == nil:
	case errors.Is(l.Reason, session.ErrSignInRequired), errors.Is(l.Reason, session.ErrNoCredentials):
		fmt.Fprintln(o.env.Stderr, latchapp.Describe(l.Reason)) // why a sign-in is needed
	default:
		return l.Reason // a keychain that cannot be used, a provider that cannot be reached
	}
	creds, err := o.signIn.signIn(o.globalOptions, a)
	if err != nil {
		return err
	}
	p, _ := latchapp.Person(creds)
	fmt.Fprintf(o.env.Stderr, "Signed in as %s\n", signedInAs(p))
	return nil
}

// ensure returns who is signed in to a, taking the launch decision first
// and signing in when it leads to sign-in.
func (s signInOptions) ensure(g *globalOptions, a *latchapp.Account) (profile.Profile, error) {
	l := latchapp.Decide(g.ctx, a.Manager, nil)
	switch {
	case l.Offline:
		return profile.Profile{}, l.Reason
	case l.Next == latchapp.ShowProfile:
		return l.Person, nil
	case l.Reason == nil:
	case errors.Is(l.Reason, session.ErrSignInRequired), errors.Is(l.Reason, session.ErrNoCredentials):
		fmt.Fprintln(g.env.Stderr, latchapp.Describe(l.Reason)) // why a sign-in is needed
	default:
		return profile.Profile{}, l.Reason // a keychain that cannot be used: as latch login, at once
	}
	creds, err := s.signIn(g, a)
	if err != nil {
		return profile.Profile{}, err
	}
	return latchapp.Person(creds)
}

// signIn signs in to a through the browser, or with --device on another
// device.
func (s signInOptions) signIn(g *globalOptions, a *latchapp.Account) (*session.Credentials, error) {
	if err := a.CheckProvider(g.ctx); err != nil {
		return nil, err
	}
	// The agent takes up the new session at once.
	defer g.forgetInAgent(a.Config)
	m := a.Manager
	stdout, stderr := g.env.Stdout, g.env.Stderr
	if s.device {
		d, err := m.StartDeviceLogin(g.ctx)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stdout, "user_code: %s\nverification_uri: %s\n", field(d.UserCode), field(d.VerificationURI))
		if d.VerificationURIComplete != "" {
			fmt.Fprintf(stdout, "verification_uri_complete: %s\n", field(d.VerificationURIComplete))
		}
		fmt.Fprintf(stderr, "To sign in, open %s and enter the code %s (it expires at %s).\n",
			field(d.VerificationURI), field(d.UserCode), d.Expiry.Local().Format(time.TimeOnly))
		return d.Wait(g.ctx)
	}
	login := g.browserFlow(s.noBrowser, "sign in", "the sign-in")
	login.Prompt, login.LoginHint = s.prompt, s.loginHint
	return m.LoginWithBrowser(g.ctx, login)
}

// browserFlow is how a flow in the browser is shown: with noBrowser, its
// address alone on one line of stdout; otherwise the browser is opened
// (to do what it is for) and the address said on stderr, with why it
// did not open, while Latch waits for what (the flow) to end.
func (g *globalOptions) browserFlow(noBrowser bool, forWhat, what string) session.BrowserLogin {
	stdout, stderr := g.env.Stdout, g.env.Stderr
	flow := session.BrowserLogin{OpenURL: g.env.OpenURL, AppName: "Latch"}
	if noBrowser {
		flow.OpenURL = func(_ context.Context, u string) error {
			fmt.Fprintln(stdout, field(u))
			return nil
		}
		return flow
	}
	flow.ShowURL = func(u string, openErr error) {
		fmt.Fprintf(stderr, "Opening your browser to %s. If it does not open, visit:\n%s\n", forWhat, field(u))
		if openErr != nil {
			fmt.Fprintf(stderr, "%s Latch is waiting for %s at the address above.\n", latchapp.Describe(openErr), what)
		}
	}
	return flow
}

// signedInAs is "Name <email> (subject sub)", leaving out what is unknown.
func signedInAs(p profile.Profile) string {
	s := field(p.DisplayName())
	if p.Email != "" && p.Email != p.DisplayName() {
		s += " <" + field(p.Email) + ">"
	}
	if p.Subject != "" && p.Subject != p.DisplayName() {
		s += " (subject " + field(p.Subject) + ")"
	}
	return s
}

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/latchapp/latch/internal/core"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

var loginCommand = command{
	usage: `latch login [--device] [--no-browser]

Signs you in: through your browser, or with --device on another device
(a code to enter at a URL). --no-browser prints the sign-in URL alone on
one line of stdout and waits for the browser's callback.
`,
	flags: func(fs *flag.FlagSet, r *runner) {
		fs.BoolVar(&r.device, "device", false, "")
		fs.BoolVar(&r.noBrowser, "no-browser", false, "")
	},
	run: (*runner).login,
}

func (r *runner) login(args []string) error {
	s, err := r.open(args, true)
	if err != nil {
		return err
	}
	defer s.Close()
	_ = s.Manager.SendRevocations(r.ctx) // those of earlier sign-outs, when the provider can be reached
	// The launch decision, as the app takes it: a session held and valid,
	// or renewed, or held while the provider cannot be reached, is the
	// person still signed in.
	l := core.Decide(r.ctx, s.Manager, nil)
	switch {
	case l.Next == core.ShowProfile:
		fmt.Fprintf(r.env.Stderr, "Already signed in as %s; run latch logout first to switch accounts.\n", signedInAs(l.Person))
		return nil
	case l.Reason == nil:
	case errors.Is(l.Reason, session.ErrSignInRequired), errors.Is(l.Reason, session.ErrNoCredentials):
		fmt.Fprintln(r.env.Stderr, core.Describe(l.Reason)) // why a sign-in is needed
	default:
		return l.Reason // a keychain that cannot be used, a provider that cannot be reached
	}
	creds, err := r.signIn(s)
	if err != nil {
		return err
	}
	p, _ := core.Person(creds)
	fmt.Fprintf(r.env.Stderr, "Signed in as %s\n", signedInAs(p))
	return nil
}

// ensureSignedIn returns who is signed in, taking the launch decision
// first and signing in when it leads to sign-in.
func (r *runner) ensureSignedIn(s *core.Session) (profile.Profile, error) {
	l := core.Decide(r.ctx, s.Manager, nil)
	switch {
	case l.Offline:
		return profile.Profile{}, l.Reason
	case l.Next == core.ShowProfile:
		return l.Person, nil
	case l.Reason != nil:
		fmt.Fprintln(r.env.Stderr, core.Describe(l.Reason))
	}
	creds, err := r.signIn(s)
	if err != nil {
		return profile.Profile{}, err
	}
	return core.Person(creds)
}

// signIn signs in through the browser, or with --device on another device.
func (r *runner) signIn(s *core.Session) (*session.Credentials, error) {
	if err := s.CheckProvider(r.ctx); err != nil {
		return nil, err
	}
	m := s.Manager
	if r.device {
		d, err := m.StartDeviceLogin(r.ctx)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(r.env.Stdout, "user_code: %s\nverification_uri: %s\n", field(d.UserCode), field(d.VerificationURI))
		if d.VerificationURIComplete != "" {
			fmt.Fprintf(r.env.Stdout, "verification_uri_complete: %s\n", field(d.VerificationURIComplete))
		}
		fmt.Fprintf(r.env.Stderr, "To sign in, open %s and enter the code %s (it expires at %s).\n",
			field(d.VerificationURI), field(d.UserCode), d.Expiry.Local().Format(time.TimeOnly))
		return d.Wait(r.ctx)
	}
	open := r.env.OpenURL
	if open == nil {
		open = session.OpenBrowser
	}
	if r.noBrowser {
		open = func(_ context.Context, u string) error {
			fmt.Fprintln(r.env.Stdout, field(u))
			return nil
		}
	} else {
		browser := open
		open = func(ctx context.Context, u string) error {
			fmt.Fprintf(r.env.Stderr, "Opening your browser to sign in. If it does not open, visit:\n%s\n", field(u))
			if err := browser(ctx, u); err != nil {
				fmt.Fprintf(r.env.Stderr, "%s Latch is waiting for the sign-in at the address above.\n", core.Describe(err))
			}
			return nil
		}
	}
	return m.LoginWithBrowser(r.ctx, session.BrowserLogin{OpenURL: open, AppName: "Latch"})
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

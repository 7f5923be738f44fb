package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

var statusCommand = command{
	usage: `latch status [--json] [--all]

Says who is signed in, when the access token expires, whether a refresh
token is held, and the session's state, or why it ended. It does not
touch the network, unless the access token expired (it asks the
provider to renew it, to say whether the session goes on) or the provider
is still to be told of a sign-out made while it could not be reached
(that is sent first).
`,
	deadline: commandDeadline,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &statusOptions{globalOptions: g}
		fs.BoolVar(&o.json, "json", false, "print JSON")
		fs.BoolVar(&o.all, "all", false, "say it for every account (see latch accounts), the active one marked")
		return o
	},
}

// statusOptions are the options of latch status.
type statusOptions struct {
	*globalOptions
	json, all bool
}

func (o *statusOptions) run(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if o.all {
		return o.runAll()
	}
	cfg, err := o.configWith(nil)
	if err != nil {
		return err
	}
	rep, signedIn, err := o.report(cfg)
	if err != nil {
		return err
	}
	if o.json {
		if err := printJSON(o.env.Stdout, rep); err != nil {
			return err
		}
	} else {
		printStatus(o.env.Stdout, rep, signedIn)
	}
	if !signedIn {
		return session.ErrNoCredentials
	}
	return nil
}

// report is what is known of the session of the account cfg configures:
// from the agent, else read here.
func (o *statusOptions) report(cfg latchapp.Config) (latchapp.SessionReport, bool, error) {
	type reported struct {
		rep      latchapp.SessionReport
		signedIn bool
	}
	r, err := throughAgent(o.globalOptions, cfg, func(c *agent.Client) (reported, error) {
		rep, signedIn, err := c.Report(o.ctx, cfg)
		return reported{rep, signedIn}, err
	}, func() (reported, error) {
		return here(o.globalOptions, cfg, func(a *latchapp.Account) (reported, error) {
			rep, signedIn, err := a.Report(o.ctx)
			return reported{rep, signedIn}, err
		})
	})
	if err != nil && r.rep.Account == "" {
		// Nothing was read: the report names the account it is about.
		r.rep = latchapp.SessionReport{Account: cfg.Account, Issuer: cfg.Issuer}
	}
	return r.rep, r.signedIn, err
}

// runAll is latch status --all: every account's status, the active one
// marked; an account that cannot be read says why in its place.
func (o *statusOptions) runAll() error {
	accounts := o.accounts(renewOnUse)
	names, err := accounts.Names()
	if err != nil {
		return err
	}
	chosen, err := accounts.Chosen()
	if err != nil {
		return err
	}
	var reports []latchapp.SessionReport
	for i, name := range names {
		rep := latchapp.SessionReport{Account: name, State: "unusable"}
		signedIn := false
		cfg, err := accounts.Config(name)
		if err == nil {
			rep, signedIn, err = o.report(cfg)
		}
		rep.Active = name == chosen
		if err != nil {
			rep.State, rep.Reason = "unusable", describe(err)
		}
		if o.json {
			reports = append(reports, rep)
			continue
		}
		if i > 0 {
			fmt.Fprintln(o.env.Stdout)
		}
		printStatus(o.env.Stdout, rep, signedIn)
	}
	if o.json {
		return printJSON(o.env.Stdout, reports)
	}
	return nil
}

// printStatus writes the report to w as lines for people.
func printStatus(w io.Writer, rep latchapp.SessionReport, signedIn bool) {
	state := rep.State
	if state == session.StateOffline.String() && signedIn && !rep.AccessValid {
		state += ": the access token expired and the provider cannot be reached"
	}
	account := rep.Account
	if rep.Active {
		account += " (active)"
	}
	fmt.Fprintf(w, "Account: %s\n", account)
	fmt.Fprintf(w, "State: %s\n", state)
	if rep.Issuer != "" {
		fmt.Fprintf(w, "Provider: %s\n", field(rep.Issuer))
	}
	if signedIn {
		fmt.Fprintf(w, "Signed in as: %s\n", signedInAs(profile.Profile{Subject: rep.Subject, Name: rep.Name, Email: rep.Email}))
		if !rep.AccessExpiry.IsZero() {
			left := time.Until(rep.AccessExpiry).Round(time.Second)
			when := "expires in " + left.String()
			if left <= 0 {
				when = "expired " + (-left).String() + " ago"
			}
			fmt.Fprintf(w, "Access token: %s (%s)\n", when, rep.AccessExpiry.Local().Format(time.DateTime))
		}
		fmt.Fprintf(w, "Refresh token: %s\n", map[bool]string{true: "held", false: "none"}[rep.RefreshToken])
		if rep.DPoP {
			fmt.Fprintln(w, "Binding: DPoP (the tokens are bound to a key in the keychain)")
		}
		if rep.NamedTokens > 0 {
			fmt.Fprintf(w, "Named tokens: %d (see latch tokens)\n", rep.NamedTokens)
		}
	}
	if len(rep.Confirm) > 0 {
		fmt.Fprintf(w, "Confirmed in the app: %s (handed out only once you allow it in Latch's window)\n", field(strings.Join(rep.Confirm, ", ")))
	}
	if rep.Reason != "" {
		fmt.Fprintf(w, "Reason: %s\n", rep.Reason)
	}
	if rep.PendingRevocations > 0 {
		fmt.Fprintf(w, "Pending revocation: the provider has not been told of %d signed-out token(s) yet; it will be when it can be reached.\n", rep.PendingRevocations)
	}
	if !rep.LastRevocation.IsZero() {
		fmt.Fprintf(w, "Last sign-out told to the provider: %s\n", rep.LastRevocation.Local().Format(time.DateTime))
	}
}

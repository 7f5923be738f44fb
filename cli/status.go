package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

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

// statusReport is `latch status --json`.
type statusReport struct {
	Account       string    `json:"account"`
	Active        bool      `json:"active,omitempty"`
	State         string    `json:"state"`
	Reason        string    `json:"reason,omitempty"`
	Issuer        string    `json:"issuer"`
	Subject       string    `json:"subject,omitempty"`
	Name          string    `json:"name,omitempty"`
	Email         string    `json:"email,omitempty"`
	AccessExpiry  time.Time `json:"access_token_expiry,omitzero"`
	AccessValid   bool      `json:"access_token_valid"`
	RefreshToken  bool      `json:"refresh_token"`
	RefreshExpiry time.Time `json:"refresh_token_expiry,omitzero"`
	LastRenewal   time.Time `json:"last_renewal,omitzero"`
	// DPoP says the tokens are bound to a key in the keychain.
	DPoP bool `json:"dpop"`
	// NamedTokens counts the named tokens held (see latch tokens).
	NamedTokens int `json:"named_tokens"`
	// PendingRevocations counts the tokens of earlier sign-outs that the
	// provider has not been told of yet; LastRevocation is when it was
	// last told of one.
	PendingRevocations int       `json:"pending_revocations"`
	LastRevocation     time.Time `json:"last_revocation,omitzero"`
}

func (o *statusOptions) run(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if o.all {
		return o.runAll()
	}
	a, err := o.open(renewOnUse, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	rep, creds, p, err := o.report(a)
	if err != nil {
		return err
	}
	if o.json {
		if err := o.writeJSON(rep); err != nil {
			return err
		}
	} else {
		printStatus(o.env.Stdout, rep, creds != nil, p)
	}
	if creds == nil {
		return session.ErrNoCredentials
	}
	return nil
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
	var reports []statusReport
	for i, name := range names {
		rep := statusReport{Account: name, Active: name == chosen, State: "unusable"}
		var creds *session.Credentials
		var p profile.Profile
		a, err := accounts.Open(o.ctx, name)
		if err == nil {
			rep, creds, p, err = o.report(a)
			rep.Active = name == chosen
			a.Close()
		}
		if err != nil {
			rep.Reason = describe(err)
		}
		if o.json {
			reports = append(reports, rep)
			continue
		}
		if i > 0 {
			fmt.Fprintln(o.env.Stdout)
		}
		printStatus(o.env.Stdout, rep, creds != nil, p)
	}
	if o.json {
		return o.writeJSON(reports)
	}
	return nil
}

func (o *statusOptions) writeJSON(v any) error {
	enc := json.NewEncoder(o.env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// report reads the status of a: creds nil when nobody is signed in.
func (o *statusOptions) report(a *latchapp.Account) (statusReport, *session.Credentials, profile.Profile, error) {
	rep := statusReport{Account: a.Config.Account, Issuer: a.Config.Issuer}
	var p profile.Profile
	creds, err := a.Manager.Held(o.ctx)
	if err != nil && !errors.Is(err, session.ErrNoCredentials) {
		return rep, nil, p, err
	}
	if now := time.Now(); creds != nil && !creds.ValidFor(now, 0) && creds.CanRenew(now) {
		// The access token expired: whether the session goes on is the
		// provider's to say (renewed, offline, or ended and why).
		ctx, cancel := context.WithTimeout(o.ctx, 10*time.Second)
		_, _ = a.Manager.Credentials(ctx, 0)
		cancel()
		if creds, err = a.Manager.Held(o.ctx); err != nil && !errors.Is(err, session.ErrNoCredentials) {
			return rep, nil, p, err
		}
	}
	// Sign-outs the provider has not heard of go now, when it answers.
	ctx, cancel := context.WithTimeout(o.ctx, 10*time.Second)
	rep.PendingRevocations, rep.LastRevocation, _ = a.Manager.SendRevocations(ctx)
	cancel()
	ev := a.Manager.State()
	rep.State, rep.Reason = ev.State.String(), latchapp.Describe(ev.Err)
	if creds != nil {
		p, _ = latchapp.Person(creds)
		rep.Subject, rep.Name, rep.Email = p.Subject, p.DisplayName(), p.Email
		rep.AccessExpiry, rep.RefreshExpiry, rep.LastRenewal = creds.Expiry, creds.RefreshExpiry, creds.ObtainedAt
		rep.AccessValid = creds.ValidFor(time.Now(), 0)
		rep.RefreshToken = creds.RefreshToken != ""
		rep.DPoP = strings.EqualFold(creds.TokenType, "DPoP")
		if list, err := a.Manager.Tokens(o.ctx); err == nil {
			rep.NamedTokens = len(list)
		}
	}
	return rep, creds, p, nil
}

// printStatus writes the report to w as lines for people.
func printStatus(w io.Writer, rep statusReport, signedIn bool, p profile.Profile) {
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
		fmt.Fprintf(w, "Signed in as: %s\n", signedInAs(p))
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

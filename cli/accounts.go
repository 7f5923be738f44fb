package cli

import (
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/latchapp/latch/internal/app/latchapp"
)

var accountsCommand = command{
	usage: `latch accounts [--json]
latch accounts add NAME (--issuer URL | a preset's flags) --client-id ID [flags]
latch accounts remove NAME

Lists the accounts: each is a name, a provider and its own session in the
keychain. The config file's top-level settings are the account "default";
[accounts.NAME] tables are the others. The active account (marked *) is
the one commands and the app use unless --account or LATCH_ACCOUNT names
another; latch switch changes it.

add checks the provider's discovery document, then adds an
[accounts.NAME] table at the end of the config file. A preset derives the
issuer from a few values: Auth0 (--auth0-domain), Okta (--okta-org,
--okta-auth-server), Keycloak (--keycloak-url, --keycloak-realm),
Microsoft Entra ID (--entra-tenant, --entra-authority) and Google
(--google-client-secret); latch --help says what each takes. remove signs out of
the account (revoking its refresh token) and takes its table out.
`,
	deadline: commandDeadline,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &accountsOptions{globalOptions: g}
		fs.BoolVar(&o.json, "json", false, "print JSON")
		return o
	},
}

var switchCommand = command{
	usage: `latch switch NAME

Makes NAME the active account, for the command line and the desktop app
alike (a running app follows within two seconds).
`,
	deadline: commandDeadline,
	options: func(g *globalOptions, _ *flag.FlagSet) runner {
		return (&switchOptions{globalOptions: g})
	},
}

// accountsOptions are the options of latch accounts.
type accountsOptions struct {
	*globalOptions
	json bool
}

// accountEntry is one account in `latch accounts --json`.
type accountEntry struct {
	Name     string `json:"name"`
	Provider string `json:"provider"`
	Active   bool   `json:"active"`
	// State is the session's, as latch status says it: "signed in",
	// "ended" (Reason says why), "signed out", or "unusable" (Error says
	// why).
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Subject string `json:"subject,omitempty"`
	Person  string `json:"person,omitempty"`
	Email   string `json:"email,omitempty"`
	Error   string `json:"error,omitempty"`
}

func (o *accountsOptions) run(args []string) error {
	if len(args) == 0 {
		return o.list()
	}
	switch args[0] {
	case "add":
		if len(args) != 2 {
			return usagef("latch accounts add takes one account name")
		}
		return o.add(args[1])
	case "remove":
		if len(args) != 2 {
			return usagef("latch accounts remove takes one account name")
		}
		return o.remove(args[1])
	}
	return usagef("unknown accounts command %q (add, remove, or none to list)", args[0])
}

func (o *accountsOptions) list() error {
	accounts := o.accounts(renewOnUse)
	chosen, err := accounts.Chosen()
	if err != nil {
		return err
	}
	list, err := accounts.List(o.ctx)
	if err != nil {
		return err
	}
	entries := make([]accountEntry, 0, len(list))
	for _, s := range list {
		e := accountEntry{Name: s.Name, Provider: s.Provider, Active: s.Name == chosen}
		switch {
		case s.Err != nil:
			e.State, e.Error = "unusable", describe(s.Err)
		case !s.SignedIn:
			e.State, e.Reason = s.State, latchapp.Describe(s.Ended)
		default:
			e.State = s.State
			e.Subject, e.Person, e.Email = s.Person.Subject, s.Person.DisplayName(), s.Person.Email
		}
		entries = append(entries, e)
	}
	if o.json {
		return printJSON(o.env.Stdout, entries)
	}
	w := tabwriter.NewWriter(o.env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  ACCOUNT\tPROVIDER\tSIGNED IN AS\tSTATE")
	for _, e := range entries {
		mark := " "
		if e.Active {
			mark = "*"
		}
		who := "-"
		if e.Person != "" {
			who = field(e.Person)
		}
		state := e.State
		if e.Error != "" {
			state += ": " + e.Error
		}
		if e.Reason != "" {
			state += ": " + e.Reason
		}
		fmt.Fprintf(w, "%s %s\t%s\t%s\t%s\n", mark, e.Name, field(e.Provider), who, state)
	}
	return w.Flush()
}

func (o *accountsOptions) add(name string) error {
	cfg, err := o.accounts(renewOnUse).Add(o.ctx, name, o.settings)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.env.Stderr, "Added the account %s (%s). Sign in with latch login --account %s, or make it active with latch switch %s.\n",
		name, field(cfg.ProviderHost()), name, name)
	return nil
}

func (o *accountsOptions) remove(name string) error {
	err := o.accounts(renewOnUse).Remove(o.ctx, name)
	if !latchapp.SignedOut(err) {
		return err
	}
	text := "Signed out of the account " + name + " and removed it."
	if err != nil {
		text += " " + latchapp.Describe(err)
	}
	fmt.Fprintln(o.env.Stderr, text)
	return nil
}

// switchOptions are the options of latch switch.
type switchOptions struct{ *globalOptions }

func (o *switchOptions) run(args []string) error {
	if len(args) != 1 {
		return usagef("latch switch takes one account name (see latch accounts)")
	}
	if err := o.accounts(renewOnUse).Switch(args[0]); err != nil {
		return err
	}
	fmt.Fprintf(o.env.Stderr, "The active account is now %s.\n", args[0])
	return nil
}

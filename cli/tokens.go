package cli

import (
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
)

var tokensCommand = command{
	usage: `latch tokens [--json]

Lists the named tokens held in the keychain: name, audience, scopes,
expiry, and whether each is handed out only once you allow it in Latch's
window (confirm = true in its [apis.NAME] table); never the tokens
themselves. It does not touch the network.
`,
	deadline: commandDeadline,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &tokensOptions{globalOptions: g}
		fs.BoolVar(&o.json, "json", false, "print JSON")
		return o
	},
}

// tokensOptions are the options of latch tokens.
type tokensOptions struct {
	*globalOptions
	json bool
}

// tokenEntry is one named token in `latch tokens --json`.
type tokenEntry struct {
	Name     string    `json:"name"`
	Audience string    `json:"audience"`
	Scopes   []string  `json:"scopes"`
	Expiry   time.Time `json:"expiry,omitzero"`
	DPoP     bool      `json:"dpop"`
	// Confirm says the token is handed out only once the person allows
	// it in the desktop app.
	Confirm bool `json:"confirm"`
}

func (o *tokensOptions) run(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	cfg, err := o.configWith(nil)
	if err != nil {
		return err
	}
	list, err := throughAgent(o.globalOptions, cfg, func(c *agent.Client) ([]session.TokenInfo, error) {
		return c.Tokens(o.ctx, cfg)
	}, func() ([]session.TokenInfo, error) {
		return here(o.globalOptions, cfg, func(a *latchapp.Account) ([]session.TokenInfo, error) {
			return a.Manager.Tokens(o.ctx)
		})
	})
	if err != nil {
		return err
	}
	entries := make([]tokenEntry, 0, len(list))
	for _, t := range list {
		scopes := t.Scopes
		if scopes == nil {
			scopes = []string{}
		}
		entries = append(entries, tokenEntry{Name: t.Name, Audience: t.Audience, Scopes: scopes, Expiry: t.Expiry, DPoP: t.Bound,
			Confirm: cfg.Confirms(t.Name, t.Audience)})
	}
	if o.json {
		return printJSON(o.env.Stdout, entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(o.env.Stderr, "No named tokens are held. Get one with latch token --name NAME.")
		return nil
	}
	w := tabwriter.NewWriter(o.env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tAUDIENCE\tSCOPES\tEXPIRES\tBINDING\tCONFIRM")
	for _, e := range entries {
		expires := "not announced"
		if !e.Expiry.IsZero() {
			expires = e.Expiry.Local().Format(time.DateTime)
			if time.Until(e.Expiry) <= 0 {
				expires += " (expired)"
			}
		}
		binding := map[bool]string{true: "DPoP", false: "bearer"}[e.DPoP]
		confirm := map[bool]string{true: "in the app", false: "no"}[e.Confirm]
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", field(e.Name), field(e.Audience), field(strings.Join(e.Scopes, " ")), expires, binding, confirm)
	}
	return w.Flush()
}

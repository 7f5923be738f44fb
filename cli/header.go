package cli

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
)

var headerCommand = command{
	usage: `latch header NAME METHOD URL

Prints the header lines that authorize one request of METHOD to URL with
the named token NAME, or with the session's own token when NAME is "-":
"Authorization: Bearer TOKEN", or for a DPoP token "Authorization: DPoP
TOKEN" and a "DPoP:" proof made for this method and address. A proof is
good for one request: run latch header again for the next. curl reads
header lines from standard input:

  latch header orders GET https://api.example.com/orders | curl -H @- https://api.example.com/orders
`,
	deadline: commandDeadline,
	options: func(g *globalOptions, _ *flag.FlagSet) runner {
		return (&headerOptions{globalOptions: g})
	},
}

// headerOptions are the options of latch header: those of every command.
type headerOptions struct{ *globalOptions }

func (o *headerOptions) run(args []string) error {
	if len(args) != 3 {
		return usagef("want NAME METHOD URL (NAME - for the session's own token), got %d arguments", len(args))
	}
	name, method, target := args[0], strings.ToUpper(args[1]), args[2]
	if !validMethod(method) {
		return usagef("%q is not an HTTP method", args[1])
	}
	if name == "-" {
		name = ""
	}
	cfg, err := o.configWith(nil)
	if err != nil {
		return err
	}
	h, err := throughAgent(o.globalOptions, cfg, func(c *agent.Client) (http.Header, error) {
		return c.Header(o.ctx, cfg, name, method, target)
	}, func() (http.Header, error) {
		return directly(o.globalOptions, cfg, latchapp.TokenRequest{Name: name, MinTTL: headerMinTTL}, "", func(ctx context.Context, a *latchapp.Account) (http.Header, error) {
			return a.Header(ctx, name, method, target)
		})
	})
	if err != nil {
		return err
	}
	var out strings.Builder
	for _, key := range []string{"Authorization", "DPoP"} {
		v := h.Get(key)
		if v == "" {
			continue
		}
		if !headerValue(v) {
			// A provider's token with a line break would forge headers.
			return fmt.Errorf("the provider issued a token that cannot be sent in a header")
		}
		fmt.Fprintf(&out, "%s: %s\n", key, v)
	}
	_, err = fmt.Fprint(o.env.Stdout, out.String())
	return err
}

// validMethod reports whether m is an HTTP method token (RFC 9110
// section 9.1).
// headerMinTTL is how long the token of a header stays valid at least
// (see session.Manager.Header).
const headerMinTTL = 10 * time.Second

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// headerValue reports whether v is printable ASCII, as tokens and proofs
// are.
func headerValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

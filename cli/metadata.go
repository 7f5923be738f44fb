package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/profile"
)

var metadataCommand = command{
	usage: `latch metadata get [--json]
latch metadata set KEY=VALUE...
latch metadata unset KEY...

Reads and changes your user_metadata. VALUE is taken as JSON when it
parses (42, true, {"a":1}), else as a string; null removes the key, as
Auth0's PATCH does (write '"null"' for the string null). Key names must
not be empty or contain '.' or '$', at any depth.
`,
	deadline: commandDeadline,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &metadataOptions{globalOptions: g}
		fs.BoolVar(&o.json, "json", false, "with get, print JSON")
		return o
	},
}

// metadataOptions are the options of latch metadata.
type metadataOptions struct {
	*globalOptions
	json bool
}

func (o *metadataOptions) run(args []string) error {
	if len(args) == 0 {
		return usagef("say get, set KEY=VALUE... or unset KEY...")
	}
	verb, rest := args[0], args[1:]
	var changes map[string]any
	switch verb {
	case "get":
		if err := noArgs(rest); err != nil {
			return err
		}
	case "set", "unset":
		if len(rest) == 0 {
			return usagef("metadata %s needs at least one key", verb)
		}
		var err error
		if changes, err = parseChanges(verb, rest); err != nil {
			return err
		}
	default:
		return usagef("unknown metadata command %q (get, set, unset)", verb)
	}
	cfg, err := o.configWith(nil)
	if err != nil {
		return err
	}
	md, err := throughAgent(o.globalOptions, cfg, func(c *agent.Client) (map[string]any, error) {
		return c.UserMetadata(o.ctx, cfg, changes)
	}, func() (map[string]any, error) {
		return here(o.globalOptions, cfg, func(a *latchapp.Account) (map[string]any, error) {
			return a.UserMetadata(o.ctx, changes)
		})
	})
	if err != nil || verb != "get" {
		return err
	}
	if o.json {
		return printJSON(o.env.Stdout, md)
	}
	if len(md) == 0 {
		fmt.Fprintln(o.env.Stderr, "Your user_metadata is empty. Add to it with latch metadata set KEY=VALUE.")
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(md)) {
		v, _ := json.Marshal(md[k])
		fmt.Fprintf(o.env.Stdout, "%s=%s\n", field(k), v)
	}
	return nil
}

// parseChanges reads KEY=VALUE (set) or KEY (unset) arguments, all of them
// before anything is sent.
func parseChanges(verb string, args []string) (map[string]any, error) {
	changes := map[string]any{}
	for _, arg := range args {
		key, value, hasValue := strings.Cut(arg, "=")
		if verb == "set" && !hasValue {
			return nil, usagef("%q is not KEY=VALUE", arg)
		}
		if verb == "unset" && hasValue {
			return nil, usagef("unset takes key names, not %q", arg)
		}
		if err := profile.CheckKey(key); err != nil {
			return nil, usageError{latchapp.Describe(err)}
		}
		if _, dup := changes[key]; dup {
			return nil, usagef("key %q given twice", key)
		}
		if verb == "unset" {
			changes[key] = nil
			continue
		}
		v := profile.ParseArgument(value)
		if err := profile.CheckValue(v); err != nil {
			return nil, usageError{latchapp.Describe(err)}
		}
		changes[key] = v
	}
	return changes, nil
}

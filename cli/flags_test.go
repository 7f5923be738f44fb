package cli

import (
	"bytes"
	"flag"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
)

// parseOnly reads a command line into its command's options, without
// running it.
func parseOnly(t *testing.T, args ...string) (*globalOptions, parsed) {
	t.Helper()
	g := &globalOptions{ctx: t.Context(), env: Env{Getenv: func(string) string { return "" }}, args: args}
	p, err := g.parse()
	if err != nil {
		t.Fatalf("parsing %q: %v", args, err)
	}
	return g, p
}

// Every flag of every command is registered with its help, which the
// command's --help prints: no flag is described elsewhere or not at all.
func TestEveryFlagIsDescribed(t *testing.T) {
	for name, cmd := range commands {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		g := &globalOptions{}
		g.globalFlags(fs)
		cmd.options(g, fs)
		var help bytes.Buffer
		printUsage(&help, name, cmd, fs)
		fs.VisitAll(func(f *flag.Flag) {
			if strings.TrimSpace(f.Usage) == "" {
				t.Errorf("latch %s --%s has no help", name, f.Name)
			}
			if !isGlobal(f.Name) && !strings.Contains(help.String(), "  --"+f.Name+" ") && !strings.Contains(help.String(), "  --"+f.Name+"\n") {
				t.Errorf("latch %s --help does not describe --%s:\n%s", name, f.Name, help.String())
			}
		})
	}
}

// A command line is read into the options of the command it names,
// flags before, among or after the arguments, without running anything.
func TestFlagsParseIntoTheCommandsOptions(t *testing.T) {
	t.Run("token", func(t *testing.T) {
		_, p := parseOnly(t, "token", "--min-ttl", "5m", "--name", "orders", "--output", "json")
		o := p.options.(*tokenOptions)
		if o.minTTL != 5*time.Minute || o.name != "orders" || o.output != "json" || o.idToken || o.remove || len(p.args) != 0 {
			t.Errorf("latch token read as %+v with arguments %q; want --min-ttl 5m, --name orders, --output json", *o, p.args)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		_, p := parseOnly(t, "token")
		if o := p.options.(*tokenOptions); o.minTTL != 30*time.Second || o.output != outputRaw {
			t.Errorf("latch token's defaults read as --min-ttl %s, --output %q; want 30s and raw", o.minTTL, o.output)
		}
	})
	t.Run("login", func(t *testing.T) {
		g, p := parseOnly(t, "--account", "work", "login", "--prompt", "login", "--login-hint", "bob", "--no-browser")
		o := p.options.(*loginOptions)
		if o.signIn != (signInOptions{noBrowser: true, prompt: "login", loginHint: "bob"}) || g.settings.Account != "work" {
			t.Errorf("latch login read as %+v, account %q", o.signIn, g.settings.Account)
		}
	})
	t.Run("flags after the arguments", func(t *testing.T) {
		_, p := parseOnly(t, "metadata", "get", "--json")
		if o := p.options.(*metadataOptions); !o.json || !slices.Equal(p.args, []string{"get"}) {
			t.Errorf("latch metadata get --json read as json=%v, arguments %q", o.json, p.args)
		}
	})
	t.Run("after --", func(t *testing.T) {
		_, p := parseOnly(t, "metadata", "set", "--", "--json=1")
		if o := p.options.(*metadataOptions); o.json || !slices.Equal(p.args, []string{"set", "--json=1"}) {
			t.Errorf("latch metadata set -- --json=1 read as json=%v, arguments %q", o.json, p.args)
		}
	})
	t.Run("logout", func(t *testing.T) {
		_, p := parseOnly(t, "logout", "--provider", "--no-browser")
		if o := p.options.(*logoutOptions); !o.provider || !o.noBrowser {
			t.Errorf("latch logout read as %+v", *o)
		}
	})
	t.Run("presets", func(t *testing.T) {
		g, p := parseOnly(t, "--keycloak-url", "https://sso.example.com", "accounts", "add", "work", "--keycloak-realm", "staff", "--client-id", "latch")
		want := map[string]string{"keycloak_url": "https://sso.example.com", "keycloak_realm": "staff"}
		for key, value := range want {
			if g.settings.Presets[key] != value {
				t.Errorf("the preset value %s read as %q; want %q", key, g.settings.Presets[key], value)
			}
		}
		if !g.settings.Set["keycloak-url"] || !g.settings.Set["keycloak-realm"] || !g.settings.Set["client-id"] || !slices.Equal(p.args, []string{"add", "work"}) {
			t.Errorf("latch accounts add read as flags %v, arguments %q", g.settings.Set, p.args)
		}
	})
}

// Malformed command lines are refused by the parse, before anything runs.
func TestBadFlagsAreRefusedByTheParse(t *testing.T) {
	for _, args := range [][]string{
		{"token", "--min-ttl", "soon"},
		{"token", "--no-such-flag"},
		{"status", "--json=maybe"},
	} {
		g := &globalOptions{ctx: t.Context(), env: Env{Getenv: func(string) string { return "" }}, args: args}
		if _, err := g.parse(); err == nil {
			t.Errorf("%q parsed; want an error", args)
		}
	}
	g := &globalOptions{ctx: t.Context(), args: []string{"tokn"}}
	if _, err := g.parse(); err != errUnknownCommand {
		t.Errorf("an unknown command parsed with %v; want errUnknownCommand", err)
	}
}

// latch --help, and latch accounts add's help, name the five presets,
// each with its flags.
func TestHelpListsThePresets(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"accounts", "add", "work", "--help"}} {
		var out bytes.Buffer
		if code := Run(t.Context(), args, Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}); code != exitOK {
			t.Fatalf("latch %q: exit %d\n%s", args, code, out.String())
		}
		for _, p := range latchapp.Presets {
			if !strings.Contains(out.String(), p.Title) {
				t.Errorf("latch %q does not name the preset %s:\n%s", args, p.Title, out.String())
			}
			for _, f := range p.Fields {
				if args[0] == "--help" && !strings.Contains(out.String(), "--"+f.Flag()+" ") {
					t.Errorf("latch --help does not describe --%s", f.Flag())
				}
				if args[0] != "--help" && !strings.Contains(out.String(), "--"+f.Flag()) {
					t.Errorf("latch accounts add --help does not name --%s", f.Flag())
				}
			}
		}
	}
}

// --sandbox and --dpop alone mean true, as a boolean flag does; with a
// value they take it, so that false turns off a file's true.
func TestSwitchesAlone(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"--sandbox", "status"}, []string{"--sandbox=true", "status"}},
		{[]string{"accounts", "add", "dp", "--sandbox"}, []string{"accounts", "add", "dp", "--sandbox=true"}},
		{[]string{"login", "--dpop", "--device"}, []string{"login", "--dpop=true", "--device"}},
		{[]string{"--sandbox", "false", "status"}, []string{"--sandbox", "false", "status"}},
		{[]string{"--dpop=no", "login"}, []string{"--dpop=no", "login"}},
		{[]string{"metadata", "set", "--", "--dpop"}, []string{"metadata", "set", "--", "--dpop"}},
	} {
		if got := switchesAlone(c.in); !slices.Equal(got, c.want) {
			t.Errorf("switchesAlone(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

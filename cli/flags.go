package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/latchapp/latch/internal/app/latchapp"
)

// globalFlags declares the flags of every command, each with its help.
// A word in back quotes in a help text names the flag's value in the
// help (see [flag.UnquoteUsage]).
func (g *globalOptions) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&g.settings.Account, "account", "", "use the account `NAME` instead of the active one [LATCH_ACCOUNT]")
	fs.StringVar(&g.settings.Issuer, "issuer", "", "the provider's issuer `URL` [LATCH_ISSUER]")
	fs.StringVar(&g.settings.ClientID, "client-id", "", "Latch's client `ID` at the provider [LATCH_CLIENT_ID]")
	fs.StringVar(&g.settings.Audience, "audience", "", "ask for access tokens for the API `AUD` [LATCH_AUDIENCE]")
	fs.StringVar(&g.settings.Scopes, "scopes", "", "the scopes to ask for, `\"A B\"` [LATCH_SCOPES]")
	fs.StringVar(&g.settings.MetadataAPI, "metadata-api", "", "the user-metadata (Management) API's base `URL` [LATCH_METADATA_API]")
	g.settings.Presets = map[string]string{}
	for _, p := range latchapp.Presets {
		for _, f := range p.Fields {
			help := fmt.Sprintf("%s: %s, such as %s", p.Title, f.Help, f.Example)
			if f.Default != "" {
				help = fmt.Sprintf("%s: %s (default: %s)", p.Title, f.Help, f.Default)
			}
			fs.Var(presetFlag{field: f, values: g.settings.Presets}, f.Flag(), help+" ["+f.Env()+"]")
		}
	}
	fs.StringVar(&g.settings.Sandbox, "sandbox", "", "use the built-in sandbox provider (`BOOL`: true or false; alone, true) [LATCH_SANDBOX]")
	fs.StringVar(&g.settings.SandboxAddr, "sandbox-addr", "", "the sandbox's address on this computer, `HOST:PORT` [LATCH_SANDBOX_ADDR]")
	fs.StringVar(&g.settings.DPoP, "dpop", "", "bind tokens to a key kept in the keychain (DPoP; `BOOL`: true or false; alone, true); takes effect at the next sign-in [LATCH_DPOP]")
	fs.StringVar(&g.settings.RedirectURL, "redirect-url", "", "the sign-in's exact loopback redirect `URL`, http://127.0.0.1:PORT/PATH, for a provider that registers one [LATCH_REDIRECT_URL]")
	fs.StringVar(&g.file, "config", "", "read the settings from the TOML `FILE` (default: latch/config.toml in your config directory)")
	fs.BoolVar(&g.verbose, "verbose", false, "diagnostics on stderr (never tokens)")
	fs.BoolVar(&g.version, "version", false, "print Latch's version and exit")
	fs.BoolVar(&g.inMemory, "in-memory", false, "keep the session in memory for this run only, not in the keychain (for when the keychain cannot be used)")
	fs.StringVar(&g.settings.Agent, "agent", "", "ask the person's agent (`MODE`: auto, the default) or not (off) [LATCH_AGENT]")
	fs.DurationVar(&g.timeout, "timeout", 0, "give up after this `DURATION` (default 30s; a sign-in 5m)")
}

// presetFlag is the flag of one field of a provider preset: it sets the
// field's value in values, by key.
type presetFlag struct {
	field  latchapp.PresetField
	values map[string]string
}

func (p presetFlag) String() string { return p.values[p.field.Key] }

func (p presetFlag) Set(v string) error {
	p.values[p.field.Key] = v
	return nil
}

// valueName names the value in help: the last word of the field's key
// (okta_org: ORG).
func (p presetFlag) valueName() string {
	return strings.ToUpper(p.field.Key[strings.LastIndex(p.field.Key, "_")+1:])
}

// isPreset says whether name is a provider preset's flag.
func isPreset(name string) bool {
	for _, p := range latchapp.Presets {
		for _, f := range p.Fields {
			if f.Flag() == name {
				return true
			}
		}
	}
	return false
}

// isGlobal says whether name is a flag of every command.
func isGlobal(name string) bool { return globalFlagNames()[name] }

// globalFlagNames are the names of the flags of every command.
var globalFlagNames = sync.OnceValue(func() map[string]bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	(&globalOptions{}).globalFlags(fs)
	names := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	return names
})

// helpIndent is the column where a flag's help starts; helpWidth is the
// width help is wrapped to.
const (
	helpIndent = 24
	helpWidth  = 80
)

// printFlags writes the help of fs's flags that keep takes, one or more
// lines each, in the order of their names.
func printFlags(w io.Writer, fs *flag.FlagSet, keep func(name string) bool) {
	fs.VisitAll(func(f *flag.Flag) {
		if !keep(f.Name) {
			return
		}
		value, help := flag.UnquoteUsage(f)
		if p, ok := f.Value.(presetFlag); ok {
			value = p.valueName()
		}
		head := "  --" + f.Name
		if value != "" {
			head += " " + value
		}
		switch f.DefValue {
		case "", "0", "0s", "false":
		default:
			if !strings.Contains(help, "default") {
				help += " (default: " + f.DefValue + ")"
			}
		}
		lines := wrap(help, helpWidth-helpIndent)
		if len(head) >= helpIndent-1 {
			fmt.Fprintln(w, head)
		} else {
			fmt.Fprintf(w, "%-*s%s\n", helpIndent, head, lines[0])
			lines = lines[1:]
		}
		for _, l := range lines {
			fmt.Fprintf(w, "%*s%s\n", helpIndent, "", l)
		}
	})
}

// wrap breaks text into lines of at most width characters, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}

// printUsage writes a command's help: its text, its own flags, and a word
// on the flags of every command; `latch --help` lists those in full.
func printUsage(w io.Writer, name string, cmd command, fs *flag.FlagSet) {
	fmt.Fprint(w, cmd.usage)
	own := func(n string) bool { return !isGlobal(n) }
	if name == "" {
		if hasFlags(fs, own) {
			fmt.Fprint(w, "\nFlags of the desktop app:\n")
			printFlags(w, fs, own)
		}
		fmt.Fprint(w, "\nFlags of every command, before or after it (environment variables in\nbrackets):\n")
		printFlags(w, fs, func(n string) bool { return isGlobal(n) && !isPreset(n) })
		fmt.Fprint(w, "\nProvider presets, which derive the issuer and what the provider needs from a\nfew values (the first flag of each chooses it; give --client-id too):\n")
		printPresetFlags(w, fs)
		fmt.Fprint(w, mainUsageEnd)
		return
	}
	if hasFlags(fs, own) {
		fmt.Fprint(w, "\nFlags:\n")
		printFlags(w, fs, own)
	}
	var globals []string
	fs.VisitAll(func(f *flag.Flag) {
		if isGlobal(f.Name) && !isPreset(f.Name) {
			globals = append(globals, "--"+f.Name)
		}
	})
	note := "The flags of every command go before or after it: " + strings.Join(globals, ", ") + ", and the provider presets' flags; latch --help says what each does."
	fmt.Fprintf(w, "\n%s\n", strings.Join(wrap(note, helpWidth), "\n"))
}

// printPresetFlags writes the help of the presets' flags, a preset at a
// time.
func printPresetFlags(w io.Writer, fs *flag.FlagSet) {
	for _, p := range latchapp.Presets {
		for _, f := range p.Fields {
			printFlags(w, fs, func(n string) bool { return n == f.Flag() })
		}
		if p.Lacks != "" {
			for _, l := range wrap(p.Title+" lacks: "+p.Lacks+".", helpWidth-helpIndent) {
				fmt.Fprintf(w, "%*s%s\n", helpIndent, "", l)
			}
		}
	}
}

// hasFlags says whether fs has a flag that keep takes.
func hasFlags(fs *flag.FlagSet, keep func(string) bool) bool {
	found := false
	fs.VisitAll(func(f *flag.Flag) { found = found || keep(f.Name) })
	return found
}

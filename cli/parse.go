package cli

import (
	"errors"
	"flag"
	"io"
	"regexp"
	"slices"
	"strings"
)

// Reading the command line: the command word among the flags, the flags
// wherever they stand, the switches given alone, and the flag package's
// errors in Latch's words.

// parsed is a command line read into a command and its options.
type parsed struct {
	name, prog string // "" and "latch" for the desktop app
	cmd        command
	fs         *flag.FlagSet
	options    runner
	args       []string // the positional arguments
}

// parse reads the globalOptions's arguments into the command they name and
// its options, without running it; the flags of every command land in
// g. The error is errUnknownCommand, flag.ErrHelp for --help, or the
// flag package's for a malformed flag.
func (g *globalOptions) parse() (parsed, error) {
	name, rest := commandWord(switchesAlone(g.args))
	p := parsed{name: name, prog: strings.TrimSpace("latch " + name)}
	cmd, ok := commands[name]
	if !ok {
		return p, errUnknownCommand
	}
	p.cmd = cmd
	p.fs = flag.NewFlagSet(p.prog, flag.ContinueOnError)
	p.fs.SetOutput(io.Discard)
	g.globalFlags(p.fs)
	p.options = cmd.options(g, p.fs)
	var err error
	if p.args, err = parseInterspersed(p.fs, rest); err != nil {
		return p, flagError(err)
	}
	g.settings.Set = map[string]bool{}
	p.fs.Visit(func(f *flag.Flag) { g.settings.Set[f.Name] = true })
	return p, nil
}

// commandWord finds the command among args, as gh and kubectl do: the
// first argument that is neither a flag of every command nor such a
// flag's value, so that "latch --verbose status" and "latch status
// --verbose" are one. It returns the command's name ("" for none: the
// desktop app) and the other arguments. A flag of one command alone ends
// the search (latch --json status is not taken): its value cannot be
// told from a command.
func commandWord(args []string) (string, []string) {
	globals := flag.NewFlagSet("", flag.ContinueOnError)
	(&globalOptions{}).globalFlags(globals)
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return "", args
		case a == "-" || !strings.HasPrefix(a, "-"):
			return a, append(slices.Clone(args[:i]), args[i+1:]...)
		}
		name, _, withValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := globals.Lookup(name)
		if f == nil {
			return "", args
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !withValue && (!ok || !b.IsBoolFlag()) {
			i++ // the flag's value
		}
	}
	return "", args
}

// parseInterspersed parses flags wherever they stand among the arguments
// ("metadata get --json"), until "--".
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// switches are the settings given as true or false whose flag alone
// means true, as a boolean flag's does (--dpop, as --dpop true); they
// take a value so that a config file's or environment's true can be
// turned off (--dpop false).
var switches = []string{"sandbox", "dpop"}

// boolWords are the values a switch takes (see latchapp's boolSetting).
var boolWords = []string{"true", "1", "yes", "on", "false", "0", "no", "off"}

// switchesAlone writes each switch given alone (its next argument not
// true or false) as --NAME=true, before the flags are read.
func switchesAlone(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		name := strings.TrimLeft(a, "-")
		if strings.HasPrefix(a, "-") && !strings.Contains(name, "=") && slices.Contains(switches, name) &&
			(i+1 == len(args) || !slices.Contains(boolWords, strings.ToLower(args[i+1]))) {
			out = append(out, "--"+name+"=true")
			continue
		}
		out = append(out, a)
	}
	return out
}

// flagName is a flag's name as the flag package's errors write it, with
// one dash.
var flagName = regexp.MustCompile(`(^|: |flag |for )-([A-Za-z][A-Za-z0-9-]*)`)

// flagError is a flag package's error with each flag written as Latch's
// help and the person write it: --min-ttl, not -min-ttl.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return errors.New(flagName.ReplaceAllString(err.Error(), "${1}--${2}"))
}

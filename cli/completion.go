package cli

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/latchapp/latch/internal/app/latchapp"
)

var completionCommand = command{
	usage: `latch completion bash|zsh|fish

Prints a script that completes latch's commands, their flags, and account
and API names, for your shell. Load it once per shell:

  bash   source <(latch completion bash)       (in ~/.bashrc)
  zsh    source <(latch completion zsh)        (in ~/.zshrc)
  fish   latch completion fish | source        (in ~/.config/fish/config.fish)

The scripts ask latch completion --names for the names, which reads the
config file alone.
`,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &completionOptions{globalOptions: g}
		fs.StringVar(&o.names, "names", "", "print the names of the config file's `accounts|apis`, one a line (what the scripts ask)")
		return o
	},
}

// completionOptions are the options of latch completion.
type completionOptions struct {
	*globalOptions
	names string
}

// subcommands are the words that follow a command.
var subcommands = map[string][]string{
	"accounts":       {"add", "remove"},
	"metadata":       {"get", "set", "unset"},
	"setup":          {"kubectl", "git"},
	"git-credential": {"get", "store", "erase"},
	"agent":          {"status", "stop"},
}

// flagValues are the values some flags take: a list, or a kind of name.
var flagValues = map[string]string{
	"--output":  "raw json env exec-credential",
	"--prompt":  "login select_account consent",
	"--account": "@accounts",
	"--name":    "@apis",
	"--agent":   "auto off",
}

func (o *completionOptions) run(args []string) error {
	if o.names != "" {
		if len(args) > 0 {
			return usagef("unexpected argument %q", args[0])
		}
		return o.printNames()
	}
	if len(args) != 1 {
		return usagef("latch completion takes a shell: bash, zsh or fish")
	}
	switch args[0] {
	case "bash":
		return writeBashCompletion(o.env.Stdout)
	case "zsh":
		fmt.Fprint(o.env.Stdout, "#compdef latch\n# zsh runs bash's completion of latch.\nautoload -U +X bashcompinit && bashcompinit\n")
		return writeBashCompletion(o.env.Stdout)
	case "fish":
		return writeFishCompletion(o.env.Stdout)
	}
	return usagef("latch completion knows bash, zsh and fish, not %q", args[0])
}

// printNames prints the accounts' or the APIs' names, one per line, from
// the config file alone; nothing when it cannot be read.
func (o *completionOptions) printNames() error {
	switch o.names {
	case "accounts":
		names, _ := latchapp.AccountNames(o.configFile())
		for _, n := range names {
			fmt.Fprintln(o.env.Stdout, n)
		}
	case "apis":
		if cfg, err := o.config(); err == nil {
			for _, n := range slices.Sorted(maps.Keys(cfg.APIs)) {
				fmt.Fprintln(o.env.Stdout, n)
			}
		}
	default:
		return usagef("--names is accounts or apis, not %q", o.names)
	}
	return nil
}

// commandFlagSets are each command's flags, its own and every command's;
// "" is latch with no command.
func commandFlagSets() map[string]*flag.FlagSet {
	sets := map[string]*flag.FlagSet{}
	for name, cmd := range commands {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		g := &globalOptions{}
		g.globalFlags(fs)
		cmd.options(g, fs)
		sets[name] = fs
	}
	return sets
}

// commandFlags are the flags of each command in sets as --NAME, and
// --help.
func commandFlags(sets map[string]*flag.FlagSet) map[string][]string {
	flags := map[string][]string{}
	for name, fs := range sets {
		var list []string
		fs.VisitAll(func(f *flag.Flag) { list = append(list, "--"+f.Name) })
		flags[name] = append(list, "--help")
	}
	return flags
}

// writeBashCompletion writes the bash completion of latch (which zsh
// runs through bashcompinit).
func writeBashCompletion(w io.Writer) error {
	sets := commandFlagSets()
	flags := commandFlags(sets)
	names := commandNames(flags)
	var b strings.Builder
	b.WriteString("# bash completion of latch: source <(latch completion bash)\n")
	b.WriteString("_latch() {\n")
	b.WriteString("\tlocal cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" cmd=\"\" sub=\"\" acct=\"\" w i\n")
	b.WriteString("\tfor ((i = 1; i < COMP_CWORD; i++)); do\n\t\tw=\"${COMP_WORDS[i]}\"\n")
	// The account on the line, for the names that depend on it (--name).
	b.WriteString("\t\tcase \"${COMP_WORDS[i-1]}\" in --account) acct=\"--account=$w\" ;; esac\n")
	b.WriteString("\t\tcase \"$w\" in --account=*) acct=\"$w\" ;; esac\n")
	b.WriteString("\t\tcase \"$w\" in -*) continue ;; esac\n")
	b.WriteString("\t\tcase \"${COMP_WORDS[i-1]}\" in " + strings.Join(valuedFlags(sets), "|") + ") continue ;; esac\n")
	b.WriteString("\t\tif [ -z \"$cmd\" ]; then cmd=\"$w\"; elif [ -z \"$sub\" ]; then sub=\"$w\"; fi\n\tdone\n")
	b.WriteString("\tcase \"$prev\" in\n")
	for _, f := range slices.Sorted(maps.Keys(flagValues)) {
		fmt.Fprintf(&b, "\t%s) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;\n", f, bashWords(flagValues[f]))
	}
	b.WriteString("\tesac\n")
	b.WriteString("\tif [ -z \"$cmd\" ]; then\n")
	fmt.Fprintf(&b, "\t\tCOMPREPLY=($(compgen -W \"%s %s\" -- \"$cur\")); return\n\tfi\n", strings.Join(names, " "), strings.Join(flags[""], " "))
	b.WriteString("\tcase \"$cmd\" in\n")
	for _, name := range names {
		words := strings.Join(flags[name], " ")
		if subs, ok := subcommands[name]; ok {
			after := words
			if name == "accounts" {
				after = `$([ "$sub" = remove ] && latch completion --names accounts 2>/dev/null) ` + words
			}
			fmt.Fprintf(&b, "\t%s) if [ -z \"$sub\" ]; then COMPREPLY=($(compgen -W \"%s %s\" -- \"$cur\")); else COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); fi ;;\n",
				name, strings.Join(subs, " "), words, after)
			continue
		}
		if name == "switch" {
			fmt.Fprintf(&b, "\t%s) COMPREPLY=($(compgen -W \"%s %s\" -- \"$cur\")) ;;\n", name, bashWords("@accounts"), words)
			continue
		}
		fmt.Fprintf(&b, "\t%s) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")) ;;\n", name, words)
	}
	b.WriteString("\tesac\n}\ncomplete -F _latch latch\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// valuedFlags are the flags that take a value, for the bash script to
// skip it.
func valuedFlags(sets map[string]*flag.FlagSet) []string {
	seen := map[string]bool{}
	for _, fs := range sets {
		fs.VisitAll(func(f *flag.Flag) {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
				seen["--"+f.Name] = true
			}
		})
	}
	return slices.Sorted(maps.Keys(seen))
}

// bashWords is a value list for compgen -W: names ask latch for them
// (an API's, of the account the line names).
func bashWords(v string) string {
	switch v {
	case "@apis":
		return "$(latch completion --names apis $acct 2>/dev/null)"
	case "@accounts":
		return "$(latch completion --names accounts 2>/dev/null)"
	}
	return v
}

// writeFishCompletion writes fish's completion of latch.
func writeFishCompletion(w io.Writer) error {
	flags := commandFlags(commandFlagSets())
	names := commandNames(flags)
	var b strings.Builder
	b.WriteString("# fish completion of latch: latch completion fish | source\ncomplete -c latch -f\n")
	// The account on the line, for the names that depend on it (--name).
	b.WriteString("function __latch_account\n\tset -l toks (commandline -opc)\n\tfor i in (seq (count $toks))\n" +
		"\t\tif test \"$toks[$i]\" = --account; and test $i -lt (count $toks)\n\t\t\techo --account=$toks[(math $i + 1)]\n" +
		"\t\telse if string match -q -- '--account=*' $toks[$i]\n\t\t\techo $toks[$i]\n\t\tend\n\tend\nend\n")
	fmt.Fprintf(&b, "complete -c latch -n __fish_use_subcommand -a '%s'\n", strings.Join(names, " "))
	for _, name := range names {
		if subs, ok := subcommands[name]; ok {
			fmt.Fprintf(&b, "complete -c latch -n '__fish_seen_subcommand_from %s' -a '%s'\n", name, strings.Join(subs, " "))
		}
		if name == "switch" {
			b.WriteString("complete -c latch -n '__fish_seen_subcommand_from switch' -a '(latch completion --names accounts 2>/dev/null)'\n")
		}
		for _, f := range flags[name] {
			long := strings.TrimPrefix(f, "--")
			values := ""
			if v, ok := flagValues[f]; ok {
				if kind, named := strings.CutPrefix(v, "@"); named {
					account := ""
					if kind == "apis" {
						account = " (__latch_account)"
					}
					values = " -xa '(latch completion --names " + kind + account + " 2>/dev/null)'"
				} else {
					values = " -xa '" + v + "'"
				}
			}
			fmt.Fprintf(&b, "complete -c latch -n '__fish_seen_subcommand_from %s' -l %s%s\n", name, long, values)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// commandNames are the commands, in order, without "" (latch alone).
func commandNames(flags map[string][]string) []string {
	var names []string
	for _, n := range slices.Sorted(maps.Keys(flags)) {
		if n != "" {
			names = append(names, n)
		}
	}
	return names
}

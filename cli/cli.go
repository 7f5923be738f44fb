// Package cli is Latch's command line: login, status, token, tokens,
// header, logout, metadata and sandbox, and the launch of the desktop app. It works on the
// same [core.Session] and the same keychain entries as the desktop app, so
// that signing in here signs in there.
//
//	os.Exit(cli.Run(ctx, os.Args[1:], cli.Env{Window: ui.Run}))
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/latchapp/latch/internal/core"
	"github.com/latchapp/latch/session"
)

// Env is what [Run] needs from the world; zero fields take the process's
// own.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads environment variables; nil means os.Getenv.
	Getenv func(string) string
	// Store keeps the credentials; nil means the keychain.
	Store session.Store
	// OpenURL opens the sign-in page; nil means the system browser.
	OpenURL func(ctx context.Context, url string) error
	// LockDir is passed to [session.Config.LockDir].
	LockDir string
	// ConfigFile is the TOML config file; empty means
	// [core.DefaultConfigFile], "-" means none.
	ConfigFile string
	// SandboxStateFile is the sandbox's state file; empty means its default.
	SandboxStateFile string
	// Window, when set, is the desktop app: `latch` with no command opens
	// it at once, and it signs in, shows and signs out by itself. It returns
	// when the app quits.
	Window func(ctx context.Context, s *core.Session) error
	// Desktop, when set and Window is not, starts the desktop app as
	// another program (see [OpenDesktop]): `latch` with no command hands
	// over to it with the same arguments.
	Desktop func(ctx context.Context, args []string) error
}

// exit statuses
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// usageError marks errors in how the command was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// command is one subcommand: its help text, its flags and what it does.
type command struct {
	usage string
	flags func(fs *flag.FlagSet, r *runner)
	run   func(r *runner, args []string) error
}

// commands are the subcommands by name; "" is the desktop app.
var commands = map[string]command{
	"":         appCommand,
	"login":    loginCommand,
	"status":   statusCommand,
	"token":    tokenCommand,
	"tokens":   tokensCommand,
	"header":   headerCommand,
	"logout":   logoutCommand,
	"metadata": metadataCommand,
	"sandbox":  sandboxCommand,
}

// runner holds one invocation's flags and world.
type runner struct {
	ctx      context.Context
	env      Env
	args     []string // as Run was given them
	log      *slog.Logger
	settings core.Settings
	file     string

	verbose, device, noBrowser, noWindow, json, inMemory, remove bool
	name                                                         string
	minTTL, tokenTTL                                             time.Duration
	addr                                                         string
}

// Run runs the command line with args (without the program name) and
// returns the exit status: 0 on success, 1 on failure, 2 for bad usage.
// A failure is one clear line on stderr, and a rejected command changes
// nothing stored.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Stdout == nil {
		env.Stdout = os.Stdout
	}
	if env.Stderr == nil {
		env.Stderr = os.Stderr
	}
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	env.Stdout, env.Stderr = safeWriter{env.Stdout}, safeWriter{env.Stderr}
	r := &runner{ctx: ctx, env: env, args: args, log: slog.New(slog.DiscardHandler)}

	name, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, rest = args[0], args[1:]
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "latch: unknown command %q (see latch --help)\n", name)
		return exitUsage
	}
	prog := strings.TrimSpace("latch " + name)
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	r.globalFlags(fs)
	if cmd.flags != nil {
		cmd.flags(fs, r)
	}
	positional, err := parseInterspersed(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, cmd.usage)
			return exitOK
		}
		fmt.Fprintf(env.Stderr, "%s: %v (see %s --help)\n", prog, err, prog)
		return exitUsage
	}
	if r.verbose {
		r.log = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	// The sandbox's OpenID engine logs through slog's default logger,
	// whatever it is given: route it through this run's logger, so that
	// a failure stays one line on stderr.
	slog.SetDefault(r.log)
	r.settings.Set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { r.settings.Set[f.Name] = true })

	err = cmd.run(r, positional)
	if err == nil {
		return exitOK
	}
	var de desktopExit
	if errors.As(err, &de) {
		return de.code
	}
	fmt.Fprintf(env.Stderr, "%s: %s\n", prog, describe(err))
	var ue usageError
	var ce *core.ConfigError
	if errors.As(err, &ue) || errors.As(err, &ce) {
		return exitUsage
	}
	return exitFail
}

// describe is the line a failed command prints: the core's sentence, and
// the command that helps when there is one.
func describe(err error) string {
	var ue usageError
	if errors.As(err, &ue) {
		return ue.msg
	}
	if errors.Is(err, ErrNoDesktop) {
		return "The desktop app (" + DesktopName + ") is not installed beside latch or on your PATH. Install Latch's package, or use latch login and latch status."
	}
	text := core.Describe(err)
	if errors.Is(err, session.ErrNoCredentials) || errors.Is(err, session.ErrSignInRequired) || errors.Is(err, session.ErrCorruptValue) {
		text += " Run latch login."
	}
	return text
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

func (r *runner) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&r.settings.Issuer, "issuer", "", "")
	fs.StringVar(&r.settings.ClientID, "client-id", "", "")
	fs.StringVar(&r.settings.Audience, "audience", "", "")
	fs.StringVar(&r.settings.Scopes, "scopes", "", "")
	fs.StringVar(&r.settings.MetadataAPI, "metadata-api", "", "")
	fs.StringVar(&r.settings.Auth0Domain, "auth0-domain", "", "")
	fs.StringVar(&r.settings.Sandbox, "sandbox", "", "")
	fs.StringVar(&r.settings.SandboxAddr, "sandbox-addr", "", "")
	fs.StringVar(&r.settings.DPoP, "dpop", "", "")
	fs.StringVar(&r.file, "config", "", "")
	fs.BoolVar(&r.verbose, "verbose", false, "")
	fs.BoolVar(&r.inMemory, "in-memory", false, "")
}

// config resolves the configuration.
func (r *runner) config() (core.Config, error) {
	file := r.file
	if file == "" {
		file = r.env.ConfigFile
	}
	if file == "" {
		file = core.DefaultConfigFile()
	}
	if file == "-" {
		file = ""
	}
	return core.LoadConfig(r.settings, r.env.Getenv, file)
}

// open checks that a command got no arguments, resolves the configuration
// and opens the session. manual turns background renewal off, for
// commands that end at once.
func (r *runner) open(args []string, manual bool) (*core.Session, error) {
	if err := noArgs(args); err != nil {
		return nil, err
	}
	cfg, err := r.config()
	if err != nil {
		return nil, err
	}
	store := r.env.Store
	if r.inMemory {
		// The person's choice: a session that ends with this run.
		store = &session.MemoryStore{}
	}
	return core.Open(r.ctx, cfg, core.Options{
		Store: store, LockDir: r.env.LockDir, SandboxStateFile: r.env.SandboxStateFile,
		Logger: r.log, ManualRenewal: manual,
	})
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

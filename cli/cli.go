// Package cli is Latch's command line: login, status, token, tokens,
// header, logout, metadata and sandbox, and the launch of the desktop app. It works on the
// same [latchapp.Account] and the same keychain entries as the desktop app, so
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
	"sync/atomic"
	"time"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxclient"
	"github.com/latchapp/latch/session"
)

// Env is what [Run] needs from the world; zero fields take the process's
// own.
type Env struct {
	Stdout, Stderr io.Writer
	// Stdin is what git's credential helper reads; nil means os.Stdin.
	Stdin io.Reader
	// Getenv reads environment variables; nil means os.Getenv.
	Getenv func(string) string
	// Store keeps the credentials; nil means the keychain.
	Store session.Store
	// OpenURL opens the sign-in page; nil means the system browser.
	OpenURL func(ctx context.Context, url string) error
	// LockDir is passed to [session.Config.LockDir].
	LockDir string
	// ConfigFile is the TOML config file; empty means
	// [latchapp.DefaultConfigFile], "-" means none.
	ConfigFile string
	// SandboxStateFile is the sandbox's state file; empty means its default.
	SandboxStateFile string
	// Sandbox starts the built-in sandbox, for `latch sandbox` and for a
	// session on it that needs it; nil means the program latch-sandbox
	// ([sandboxclient.Program]).
	Sandbox sandboxclient.Starter
	// Window, when set, is the desktop app: `latch` with no command opens
	// it at once on the account a, and it signs in, shows, switches
	// between accounts and signs out by itself; it shows desk, the
	// agent's questions for the person and its record of token uses;
	// opts say how it opens. It returns when the app quits.
	Window func(ctx context.Context, a *latchapp.Account, accounts *latchapp.Accounts, desk *agent.Desk, opts latchapp.WindowOptions) error
	// Repair, when set with Window, is the desktop app opened on a
	// configuration that cannot be used (problem; file is the config
	// file): it shows what is wrong, and goes on as Window once reopen,
	// which the person asks for, gives an account (the configuration read
	// afresh, or the sandbox). It returns when the app quits.
	Repair func(ctx context.Context, log *slog.Logger, problem error, file string,
		reopen func(ctx context.Context, sandbox bool) (*latchapp.Account, *latchapp.Accounts, error), desk *agent.Desk) error
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

// command is one subcommand: its help text, and a function that
// declares its flags on fs, each with its help, into options of the
// command's own, and returns those options, which run it with the
// positional arguments. A command that ends by itself has a deadline (see
// --timeout); the app and the sandbox run until they are stopped.
type command struct {
	usage    string
	options  func(g *globalOptions, fs *flag.FlagSet) runner
	deadline time.Duration
}

// runner is a command's options, once its flags are parsed: run runs the
// command with the positional arguments. Tests parse a command line into
// its options without running it (see [globalOptions.parse]).
type runner interface {
	run(args []string) error
}

// The deadlines of the commands, unless --timeout says otherwise: one
// that asks the provider answers or gives up within commandDeadline; a
// sign-in waits for the person as long as a sign-in takes.
const (
	commandDeadline = 30 * time.Second
	signInDeadline  = 5 * time.Minute
	// providerSignOutDeadline bounds the wait for the provider's sign-out
	// page, which asks the person one thing at most.
	providerSignOutDeadline = 2 * time.Minute
)

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
	"accounts": accountsCommand,
	"switch":   switchCommand,
	"setup":    setupCommand,
	"agent":    agentCommand,

	"git-credential": gitCredentialCommand,
}

// The completion lists the commands: it joins them once they are made.
func init() { commands["completion"] = completionCommand }

// globalOptions are what every command has, in one run of the command
// line: the world it runs in (context, Env, logger, deadline) and the
// flags of every command. Each command's options hold them beside their
// own.
type globalOptions struct {
	ctx  context.Context
	env  Env
	args []string // as Run was given them
	prog string   // "latch token", say: what its lines on stderr begin with
	log  *slog.Logger

	// settings are the provider flags; file is --config.
	settings latchapp.Settings
	file     string
	verbose  bool
	// version is --version: print the version and do nothing else.
	version bool
	// inMemory is --in-memory: the person's choice of a session that ends
	// with this run.
	inMemory bool
	// timeout is --timeout: the command's deadline, in place of its own.
	timeout time.Duration
	// deadline is the deadline the command runs under, 0 for none.
	deadline time.Duration

	// signInMayFollow says that this run signs in when nobody is: it
	// does its work itself (see directly).
	signInMayFollow bool

	// asked says that the keychain asked the person in this run (see
	// keychainAsking).
	asked atomic.Bool
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
	g := &globalOptions{ctx: ctx, env: env, args: args, log: slog.New(slog.DiscardHandler)}

	p, err := g.parse()
	switch {
	case errors.Is(err, errUnknownCommand):
		fmt.Fprintf(env.Stderr, "latch: unknown command %q (see latch --help)\n", p.name)
		return exitUsage
	case errors.Is(err, flag.ErrHelp):
		printUsage(env.Stdout, p.name, p.cmd, p.fs)
		return exitOK
	case err != nil:
		fmt.Fprintf(env.Stderr, "%s: %v (see %s --help)\n", p.prog, err, p.prog)
		return exitUsage
	}
	prog, cmd := p.prog, p.cmd
	g.prog = prog
	if g.version {
		fmt.Fprintln(env.Stdout, latchapp.VersionLine())
		return exitOK
	}
	if g.verbose {
		g.log = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	// The sandbox's OpenID engine logs through slog's default logger,
	// whatever it is given: route it through this run's logger, so that
	// a failure stays one line on stderr.
	slog.SetDefault(g.log)
	if g.timeout < 0 {
		fmt.Fprintf(env.Stderr, "%s: --timeout must not be negative (see %s --help)\n", prog, prog)
		return exitUsage
	}
	if g.file != "" && g.file != "-" && p.name != "accounts" {
		// A file named on purpose that is not there is a mistake, not an
		// empty configuration (latch accounts add makes it).
		if _, err := os.Stat(g.file); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(env.Stderr, "%s: the config file %s given with --config does not exist: create it (latch accounts add does), or leave --config out\n", prog, field(g.file))
			return exitUsage
		}
	}
	if cmd.deadline > 0 {
		cancel := g.withDeadline(cmd.deadline)
		defer cancel()
	}

	err = p.options.run(p.args)
	if err == nil {
		return exitOK
	}
	var de saidExit
	if errors.As(err, &de) {
		return de.code
	}
	fmt.Fprintf(env.Stderr, "%s: %s\n", prog, g.describe(err))
	var ue usageError
	var ce *latchapp.ConfigError
	if errors.As(err, &ue) || errors.As(err, &ce) {
		return exitUsage
	}
	return exitFail
}

// errUnknownCommand means the command line names no command Latch has.
var errUnknownCommand = errors.New("unknown command")

// withDeadline gives the rest of the run a deadline: --timeout when
// given, else d.
func (g *globalOptions) withDeadline(d time.Duration) context.CancelFunc {
	if g.timeout > 0 {
		d = g.timeout
	}
	g.deadline = d
	var cancel context.CancelFunc
	g.ctx, cancel = context.WithTimeout(g.ctx, d)
	return cancel
}

// describe is the line a failed command prints: the core's sentence, and
// the command that helps when there is one.
func (g *globalOptions) describe(err error) string {
	if g.deadline > 0 && errors.Is(err, session.ErrSignInTimedOut) && g.ctx.Err() != nil {
		// The person's time in the browser ran out, not the provider's.
		return fmt.Sprintf("Gave up after %s: the sign-in was not finished in the browser. Run the command again, or give it longer with --timeout.", g.deadline)
	}
	if g.deadline > 0 && errors.Is(err, context.DeadlineExceeded) && g.ctx.Err() != nil {
		return fmt.Sprintf("Gave up after %s: the provider did not answer in time. Try again, or give it longer with --timeout.", g.deadline)
	}
	account, _ := latchapp.ChosenAccount(g.settings, g.env.Getenv, g.configFile())
	return describeFor(err, account)
}

// describe is the line a failed command prints: the core's sentence, and
// the command that helps when there is one.
func describe(err error) string { return describeFor(err, latchapp.DefaultAccount) }

// describeFor is describe for a command run on the account named: the
// command that helps names it, unless it is the default one.
func describeFor(err error, account string) string {
	var ue usageError
	if errors.As(err, &ue) {
		return ue.msg
	}
	if errors.Is(err, ErrNoDesktop) {
		return "The desktop app (" + DesktopName + ") is not installed beside latch or on your PATH. Install Latch's package, or use latch login and latch status."
	}
	text := latchapp.Describe(err)
	if errors.Is(err, session.ErrNoCredentials) || errors.Is(err, session.ErrSignInRequired) || errors.Is(err, session.ErrCorruptValue) {
		if account == "" || account == latchapp.DefaultAccount {
			return text + " Run latch login."
		}
		if text == "You are not signed in." {
			text = "You are not signed in to the account " + field(account) + "."
		}
		text += " Run latch login --account " + field(account) + "."
	}
	return text
}

// configFile is the config file: --config, else the Env's, else the
// default; "" when there is none ("-").
func (g *globalOptions) configFile() string {
	file := g.file
	if file == "" {
		file = g.env.ConfigFile
	}
	if file == "" {
		file = latchapp.DefaultConfigFile()
	}
	if file == "-" {
		file = ""
	}
	return file
}

// accounts are the accounts of this run's config file, opened with its
// options (see latchapp.Accounts).
func (g *globalOptions) accounts(r renewMode) *latchapp.Accounts {
	return &latchapp.Accounts{File: g.configFile(), Flags: g.settings, Getenv: g.env.Getenv, Options: g.openOptions(r)}
}

// config resolves the configuration of the account this run works with.
func (g *globalOptions) config() (latchapp.Config, error) {
	return latchapp.LoadConfig(g.settings, g.env.Getenv, g.configFile())
}

// renewMode says how an account opened by a command renews its session.
type renewMode int

const (
	// renewOnUse: a command that ends at once renews only what it
	// uses, and starts no background work.
	renewOnUse renewMode = iota
	// renewInBackground: the app, and latch --no-window, renew in the
	// background ahead of expiry and follow other programs.
	renewInBackground
)

// open resolves the configuration and opens the account this run works
// with, with what the configuration says and the APIs given in apis
// besides.
func (g *globalOptions) open(r renewMode, apis map[string]session.API) (*latchapp.Account, error) {
	cfg, err := g.configWith(apis)
	if err != nil {
		return nil, err
	}
	return latchapp.Open(g.ctx, cfg, g.openOptions(r))
}

// configWith resolves the configuration of the account this run works
// with, with the APIs given in apis besides.
func (g *globalOptions) configWith(apis map[string]session.API) (latchapp.Config, error) {
	cfg, err := g.config()
	if err != nil {
		return cfg, err
	}
	for name, api := range apis {
		if cfg.APIs == nil {
			cfg.APIs = map[string]session.API{}
		}
		cfg.APIs[name] = api
	}
	return cfg, nil
}

// openOptions are what latchapp.Open takes from this run.
func (g *globalOptions) openOptions(r renewMode) latchapp.Options {
	return latchapp.Options{
		Store: g.env.Store, InMemory: g.inMemory, LockDir: g.env.LockDir,
		SandboxStateFile: g.env.SandboxStateFile, Sandbox: g.env.Sandbox, Logger: g.log, ManualRenewal: r == renewOnUse,
		KeychainAsking: g.keychainAsking(),
	}
}

// keychainAsking tells the person on stderr that the keychain asks them:
// once a run, however many keychain calls (here or in the agent) meet
// the question.
func (g *globalOptions) keychainAsking() func(keeper string) {
	return func(keeper string) {
		if !g.asked.Swap(true) {
			fmt.Fprintf(g.env.Stderr, "%s: %s\n", g.prog, latchapp.Asking(keeper))
		}
	}
}

// noArgs refuses positional arguments, for the commands that take none.
func noArgs(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
)

var agentCommand = command{
	usage: `latch agent [--idle DURATION]
latch agent status [--json]
latch agent log [--json]
latch agent stop

The agent holds your sessions in memory and renews them, and latch token,
header and git-credential ask it: a renewal's answer is stored when it
comes, even after the command that asked gave up, and the keychain is
read once, not by every command. The command line starts a headless
agent in the background when none runs (agent = "auto", the default);
it exits after 30 minutes without a request (agent_idle in the config
file). With --agent off, LATCH_AGENT=off or agent = "off", every command
does its work itself.

latch agent runs the agent in the foreground, its log on stderr.
latch agent status says whether one runs, and what it holds.
latch agent log lists the last 100 token uses of each account the agent
recorded (when, which program, which token, and whether it was allowed,
denied or handed out without a question); they are kept in its memory
only.
latch agent stop stops it; your sessions stay signed in.
`,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &agentOptions{globalOptions: g}
		fs.DurationVar(&o.idle, "idle", 0, "exit after this `DURATION` without a request (default: never in the foreground)")
		fs.BoolVar(&o.json, "json", false, "with status or log, print JSON")
		return o
	},
}

// agentOptions are the options of latch agent.
type agentOptions struct {
	*globalOptions
	idle time.Duration
	json bool
}

func (o *agentOptions) run(args []string) error {
	verb := ""
	if len(args) > 0 {
		verb, args = args[0], args[1:]
	}
	if err := noArgs(args); err != nil {
		return err
	}
	if o.idle < 0 {
		return usagef("--idle must not be negative")
	}
	switch verb {
	case "":
		return o.serve()
	case "status":
		cancel := o.withDeadline(commandDeadline)
		defer cancel()
		return o.status()
	case "log":
		cancel := o.withDeadline(commandDeadline)
		defer cancel()
		return o.uses()
	case "stop":
		cancel := o.withDeadline(commandDeadline)
		defer cancel()
		return o.stop()
	}
	return usagef("unknown agent command %q (status, log, stop)", verb)
}

// serve runs the agent until it is stopped, idle, or interrupted.
func (o *agentOptions) serve() error {
	dir := agent.Dir(o.env.Getenv)
	l, err := agent.Listen(o.ctx, dir)
	if errors.Is(err, agent.ErrRunning) {
		return errors.New("an agent is running already: see latch agent status")
	}
	if err != nil {
		return err
	}
	log := o.log
	if !o.verbose {
		log = slog.New(slog.NewTextHandler(o.env.Stderr, nil))
	}
	log.Info("the agent listens", "socket", l.Path(), "pid", os.Getpid(), "version", latchapp.Version())
	return o.agentServer(false, o.idle, log, nil).Serve(o.ctx, l)
}

// agentServer is the agent this run serves: headless (latch agent) or
// the desktop app's (app, which shows desk).
func (g *globalOptions) agentServer(app bool, idle time.Duration, log *slog.Logger, desk *agent.Desk) *agent.Server {
	return &agent.Server{App: app, Idle: idle, Log: log, Desk: desk, Accounts: &latchapp.Accounts{File: g.configFile()}, Open: func(ctx context.Context, cfg latchapp.Config) (*latchapp.Account, error) {
		opts := g.openOptions(renewInBackground)
		opts.Logger = log
		// The agent waits for a late provider as long as a renewal may
		// take: its answer is stored whoever still waits for it.
		opts.HTTPClient = &http.Client{Timeout: agentHTTPTimeout}
		opts.KeychainAsking = func(keeper string) { log.Info("the keychain asks the person", "keychain", keeper) }
		return latchapp.Open(ctx, cfg, opts)
	}}
}

// serveForApp makes the desktop app, which shows desk, the agent while ctx lasts, taking
// the place of a headless agent (see agent.TakeOver), unless cfg turns
// the agent off. It returns at once; done waits for the agent to end.
func (g *globalOptions) serveForApp(ctx context.Context, cfg latchapp.Config, desk *agent.Desk) (done func()) {
	if g.agentFor(cfg) == nil {
		return func() {}
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		l, err := agent.TakeOver(ctx, agent.Dir(g.env.Getenv))
		if err != nil {
			g.log.Info("the app does not serve as the agent", "reason", err)
			return
		}
		g.log.Info("the app serves as the agent", "socket", l.Path())
		if err := g.agentServer(true, 0, g.log, desk).Serve(ctx, l); err != nil {
			g.log.Warn("the app's agent stopped", "error", err)
		}
	}()
	return func() { <-finished }
}

// agentHTTPTimeout bounds one request of the agent's to the provider: as
// long as the session's renewal may take.
const agentHTTPTimeout = 2 * time.Minute

// status says whether an agent runs and what it holds.
func (o *agentOptions) status() error {
	st, err := o.agentOf().Status(o.ctx)
	if errors.Is(err, agent.ErrNotRunning) {
		return errors.New("no agent is running; latch token starts one when it is needed")
	}
	if err != nil {
		return err
	}
	if o.json {
		return printJSON(o.env.Stdout, st)
	}
	kind := "headless"
	if st.App {
		kind = "the desktop app"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The agent runs (%s, pid %d, version %s).\nSocket: %s\n", kind, st.PID, field(st.Version), st.Socket)
	if len(st.Accounts) == 0 {
		b.WriteString("It holds no session yet.\n")
	}
	for _, a := range st.Accounts {
		fmt.Fprintf(&b, "Account %s at %s: %s", field(a.Account), field(a.Issuer), a.State)
		if !a.Expiry.IsZero() {
			fmt.Fprintf(&b, ", the token expires %s", a.Expiry.Local().Format(time.TimeOnly))
		}
		b.WriteString(".\n")
	}
	_, err = fmt.Fprint(o.env.Stdout, b.String())
	return err
}

// uses prints the token uses the running agent recorded, newest first.
func (o *agentOptions) uses() error {
	uses, err := o.agentOf().Log(o.ctx)
	if errors.Is(err, agent.ErrNotRunning) {
		return errors.New("no agent is running, so no token use is recorded")
	}
	if err != nil {
		return err
	}
	if o.json {
		if uses == nil {
			uses = []agent.Use{}
		}
		return printJSON(o.env.Stdout, uses)
	}
	if len(uses) == 0 {
		fmt.Fprintln(o.env.Stderr, "The agent has handed out no token yet.")
		return nil
	}
	var b strings.Builder
	for _, u := range uses {
		fmt.Fprintf(&b, "%s  %-9s  %s of %s  to %s\n", u.Time.Local().Format(time.DateTime), u.Outcome, field(u.Token), field(u.Account), describeProgram(u.Program))
	}
	_, err = fmt.Fprint(o.env.Stdout, b.String())
	return err
}

// describeProgram says which program p is: its command line (else its
// path) and pid, and the program that started it.
func describeProgram(p agent.Program) string {
	s := fmt.Sprintf("%s (pid %d)", field(cmp.Or(p.CommandLine(), p.Path, p.Name())), p.PID)
	if p.RunBy != nil {
		s += fmt.Sprintf(", run by %s (pid %d)", field(cmp.Or(p.RunBy.CommandLine(), p.RunBy.Path, p.RunBy.Name())), p.RunBy.PID)
	}
	return s
}

// stop stops the running agent.
func (o *agentOptions) stop() error {
	st, err := o.agentOf().Stop(o.ctx)
	if errors.Is(err, agent.ErrNotRunning) {
		fmt.Fprintln(o.env.Stderr, "No agent is running.")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(o.env.Stderr, "Stopped the agent (pid %d); your sessions stay signed in.\n", st.PID)
	return nil
}

// agentOf is the person's agent, as latch agent status and stop reach
// it: never started by them.
func (g *globalOptions) agentOf() *agent.Client {
	return &agent.Client{Dir: agent.Dir(g.env.Getenv)}
}

// agentFor is the person's agent as the commands that hand out tokens
// reach it for the account cfg configures, starting a headless one when
// none runs; nil when this run works without it: agent = "off", or
// sessions that are not the person's keychain's (see onPersonsKeychain).
func (g *globalOptions) agentFor(cfg latchapp.Config) *agent.Client {
	if cfg.Agent == latchapp.AgentOff || !g.onPersonsKeychain() {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	idle := cfg.AgentIdle
	if idle == 0 {
		idle = agent.DefaultIdle
	}
	return &agent.Client{
		Dir:    agent.Dir(g.env.Getenv),
		Start:  func() error { return agent.Spawn(exe, "agent", "--idle", idle.String()) },
		Asking: g.keychainAsking(),
		Confirming: func() {
			fmt.Fprintf(g.env.Stderr, "%s: waiting for you to allow this token in Latch's window\n", g.prog)
		},
	}
}

// throughAgent runs remote with the person's agent for the account cfg
// configures; or local, when this run works without the agent (none is
// used, or none could be reached).
func throughAgent[T any](g *globalOptions, cfg latchapp.Config, remote func(*agent.Client) (T, error), local func() (T, error)) (T, error) {
	if c := g.agentFor(cfg); c != nil {
		v, err := remote(c)
		if !errors.Is(err, agent.ErrUnavailable) {
			return v, err
		}
		g.log.Debug("working without the agent", "reason", err)
	}
	return local()
}

// here opens the account cfg configures in this process, for a command
// that ends at once, and runs work on it.
func here[T any](g *globalOptions, cfg latchapp.Config, work func(a *latchapp.Account) (T, error)) (T, error) {
	a, err := latchapp.Open(g.ctx, cfg, g.openOptions(renewOnUse))
	if err != nil {
		var zero T
		return zero, err
	}
	defer a.Close()
	return work(a)
}

// token is the token r names, of the account cfg configures: from the
// agent, else made here (see directly, which stdin is for).
// What the person should know of the token (see latchapp.Token's
// Warning) is said on stderr, which kubectl and git show too.
func (g *globalOptions) token(cfg latchapp.Config, r latchapp.TokenRequest, stdin string) (latchapp.Token, error) {
	t, err := throughAgent(g, cfg, func(c *agent.Client) (latchapp.Token, error) {
		return c.Token(g.ctx, cfg, r)
	}, func() (latchapp.Token, error) {
		return directly(g, cfg, r, stdin, func(ctx context.Context, a *latchapp.Account) (latchapp.Token, error) {
			return a.Token(ctx, r)
		})
	})
	if err == nil && t.Warning != "" {
		fmt.Fprintln(g.env.Stderr, "Warning: "+latchapp.Printable(t.Warning))
		t.Warning = ""
	}
	return t, err
}

// onPersonsKeychain says that this run's sessions are the person's, in
// the keychain: not in memory, nor in a store or lock folder of the
// caller's own (the tests').
func (g *globalOptions) onPersonsKeychain() bool {
	return !g.inMemory && g.env.Store == nil && g.env.LockDir == "" && g.env.SandboxStateFile == ""
}

// forgetInAgent tells a running agent that a session changed here (a
// sign-in, a sign-out, a token removed), so that it reads the keychain
// afresh; cfg is the account's, for its agent setting.
func (g *globalOptions) forgetInAgent(cfg latchapp.Config) {
	if c := g.agentFor(cfg); c != nil {
		if err := c.Forget(g.ctx); err != nil {
			g.log.Debug("the agent could not be told of the change", "error", err)
		}
	}
}

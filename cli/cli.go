// Package cli is Latch's command line: login, status, token, logout,
// metadata and sandbox, and the launch of the desktop app. It uses the
// same session and profile code and the same keychain entries as the
// desktop app, so that signing in here signs in there.
//
//	os.Exit(cli.Run(ctx, os.Args[1:], cli.Env{}))
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"latch/profile"
	"latch/sandbox"
	"latch/session"
)

// KeychainService names Latch's items in the operating system's keychain.
const KeychainService = "latch"

// Env is what Run needs from the world; zero fields take the process's own.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads environment variables; nil means os.Getenv.
	Getenv func(string) string
	// Store keeps the credentials; nil means the keychain.
	Store session.Store
	// OpenURL opens the sign-in page; nil means the system browser.
	OpenURL func(ctx context.Context, url string) error
	// LockDir is passed to session.Config.LockDir.
	LockDir string
	// ConfigFile is the TOML config file; empty means DefaultConfigFile,
	// "-" means none.
	ConfigFile string
	// SandboxStateFile is the sandbox's state file; empty means its default.
	SandboxStateFile string
	// Window, when set, is the desktop app: `latch` with no command opens
	// it at once, and it signs in, shows and signs out by itself. It returns
	// when the app quits.
	Window func(ctx context.Context, s *Session) error
}

// Session is a configured, connected Latch: what commands and the desktop
// app work with.
type Session struct {
	Config   Config
	Manager  *session.Manager
	Metadata *profile.MetadataClient
	// Profile is the signed-in person, once known.
	Profile profile.Profile
	// Log receives diagnostics (with --verbose); never tokens.
	Log *slog.Logger
}

// exit statuses
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// errUsage marks errors in how the command was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const mainUsage = `Latch signs you in to an OpenID Connect provider, keeps the session in the
system keychain, renews it, and lets you read and edit your user metadata.

Usage:
  latch [flags]                           open the desktop app
  latch login [--device] [--no-browser]   sign in
  latch status [--json]                   who is signed in, token expiry, session state
  latch token [--min-ttl DURATION]        print a valid access token, renewing first if needed
  latch logout                            revoke at the provider and clear the keychain
  latch metadata get [--json]             print your user_metadata
  latch metadata set KEY=VALUE...         set keys (VALUE is JSON when it parses, else a string)
  latch metadata unset KEY...             remove keys
  latch sandbox [--addr HOST:PORT]        run the built-in sandbox provider in the foreground

Provider flags (every command; environment variables in brackets):
  --issuer URL          issuer URL [LATCH_ISSUER]
  --client-id ID        client ID [LATCH_CLIENT_ID]
  --audience AUD        API audience [LATCH_AUDIENCE]
  --scopes "A B"        scopes [LATCH_SCOPES]
  --metadata-api URL    Management API base URL [LATCH_METADATA_API]
  --auth0-domain D      Auth0 preset: derives all of the above from a domain [LATCH_AUTH0_DOMAIN]
  --sandbox BOOL        use the built-in sandbox provider [LATCH_SANDBOX]
  --sandbox-addr ADDR   the sandbox's loopback address [LATCH_SANDBOX_ADDR]
  --config FILE         TOML config file (default: latch/config.toml in your config directory)
  --verbose             diagnostics on stderr (never tokens)

With nothing configured, Latch uses the sandbox: demo accounts on this computer.
Run "latch COMMAND --help" for a command's own flags.
`

// command is one subcommand.
type command struct {
	usage string
	run   func(r *runner, fs *flag.FlagSet, args []string) error
	flags func(fs *flag.FlagSet, r *runner)
}

var commands = map[string]command{
	"login": {
		usage: "latch login [--device] [--no-browser]\n\nSigns you in: through your browser, or with --device on another device\n(a code to enter at a URL). --no-browser prints the sign-in URL alone on\none line of stdout and waits for the browser's callback.\n",
		flags: func(fs *flag.FlagSet, r *runner) {
			fs.BoolVar(&r.device, "device", false, "")
			fs.BoolVar(&r.noBrowser, "no-browser", false, "")
		},
		run: (*runner).login,
	},
	"status": {
		usage: "latch status [--json]\n\nSays who is signed in, when the access token expires, whether a refresh\ntoken is held, and the session's state. It does not touch the network.\n",
		flags: func(fs *flag.FlagSet, r *runner) { fs.BoolVar(&r.json, "json", false, "") },
		run:   (*runner).status,
	},
	"token": {
		usage: "latch token [--min-ttl DURATION]\n\nPrints a valid access token, renewing it first when it expires within\n--min-ttl (default 30s). Use it as a credential helper.\n",
		flags: func(fs *flag.FlagSet, r *runner) { fs.DurationVar(&r.minTTL, "min-ttl", 30*time.Second, "") },
		run:   (*runner).token,
	},
	"logout": {
		usage: "latch logout\n\nRevokes the refresh token at the provider and removes the session from\nthe keychain (even when the provider cannot be reached).\n",
		run:   (*runner).logout,
	},
	"metadata": {
		usage: "latch metadata get [--json]\nlatch metadata set KEY=VALUE...\nlatch metadata unset KEY...\n\nReads and changes your user_metadata. VALUE is taken as JSON when it\nparses (42, true, {\"a\":1}), else as a string. Key names must not be\nempty or contain '.' or '$'.\n",
		flags: func(fs *flag.FlagSet, r *runner) { fs.BoolVar(&r.json, "json", false, "") },
		run:   (*runner).metadata,
	},
	"sandbox": {
		usage: "latch sandbox [--addr HOST:PORT] [--token-ttl DURATION]\n\nRuns the built-in sandbox provider in the foreground until interrupted,\nand prints its issuer, client ID and metadata API on lines of their own.\n--token-ttl sets the access tokens' lifetime (default 2m).\n",
		flags: func(fs *flag.FlagSet, r *runner) {
			fs.StringVar(&r.addr, "addr", "", "")
			fs.DurationVar(&r.tokenTTL, "token-ttl", sandbox.DefaultAccessTokenTTL, "")
		},
		run: (*runner).sandbox,
	},
}

// runner holds one invocation's flags and world.
type runner struct {
	ctx  context.Context
	env  Env
	log  *slog.Logger
	raw  settings
	file string

	verbose, device, noBrowser, noWindow, json bool
	minTTL, tokenTTL                           time.Duration
	addr                                       string
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
	r := &runner{ctx: ctx, env: env, log: slog.New(slog.DiscardHandler)}

	name := ""
	rest := args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, rest = args[0], args[1:]
	}
	cmd, ok := commands[name]
	if name == "" {
		cmd = command{usage: mainUsage, run: (*runner).app, flags: func(fs *flag.FlagSet, r *runner) {
			fs.BoolVar(&r.device, "device", false, "")
			fs.BoolVar(&r.noBrowser, "no-browser", false, "")
			fs.BoolVar(&r.noWindow, "no-window", false, "")
		}}
	} else if !ok {
		fmt.Fprintf(env.Stderr, "latch: unknown command %q (see latch --help)\n", name)
		return exitUsage
	}
	fs := flag.NewFlagSet("latch "+name, flag.ContinueOnError)
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
		fmt.Fprintf(env.Stderr, "latch %s: %v (see latch %s --help)\n", name, err, name)
		return exitUsage
	}
	if r.verbose {
		r.log = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r.raw.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { r.raw.set[f.Name] = true })

	err = cmd.run(r, fs, positional)
	if err == nil {
		return exitOK
	}
	prefix := "latch"
	if name != "" {
		prefix += " " + name
	}
	fmt.Fprintf(env.Stderr, "%s: %s\n", prefix, oneLine(Describe(err)))
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFail
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

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (r *runner) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&r.raw.issuer, "issuer", "", "")
	fs.StringVar(&r.raw.clientID, "client-id", "", "")
	fs.StringVar(&r.raw.audience, "audience", "", "")
	fs.StringVar(&r.raw.scopes, "scopes", "", "")
	fs.StringVar(&r.raw.metadataAPI, "metadata-api", "", "")
	fs.StringVar(&r.raw.auth0Domain, "auth0-domain", "", "")
	fs.StringVar(&r.raw.sandbox, "sandbox", "", "")
	fs.StringVar(&r.raw.sandboxAddr, "sandbox-addr", "", "")
	fs.StringVar(&r.file, "config", "", "")
	fs.BoolVar(&r.verbose, "verbose", false, "")
}

// config resolves the configuration.
func (r *runner) config() (Config, error) {
	file := r.file
	if file == "" {
		file = r.env.ConfigFile
	}
	if file == "" {
		file = DefaultConfigFile()
	}
	if file == "-" {
		file = ""
	}
	cfg, err := loadConfig(r.raw, r.raw.set, r.env.Getenv, file)
	if err != nil {
		return cfg, usageError{err.Error()}
	}
	return cfg, nil
}

// connect resolves the configuration and the provider (starting the
// sandbox in this process when it is used and not running yet) and makes
// the session Manager. The returned function releases them.
func (r *runner) connect(manual bool) (*Session, func(), error) {
	cfg, err := r.config()
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() {}
	if cfg.Sandbox {
		addr := cfg.SandboxAddr
		if addr == "" {
			addr = sandbox.DefaultAddr
		}
		issuer, running := sandbox.Running(r.ctx, addr)
		if !running {
			srv, err := sandbox.New(sandbox.Config{Addr: addr, StateFile: r.env.SandboxStateFile, Logger: r.log})
			if err != nil {
				return nil, nil, err
			}
			if err := srv.Start(r.ctx); err != nil {
				return nil, nil, err
			}
			issuer, cleanup = srv.Issuer(), func() { srv.Close() }
			r.log.Debug("started the sandbox in this process", "issuer", issuer)
		}
		cfg.Issuer, cfg.ClientID = issuer, sandbox.ClientID
		cfg.MetadataAPI = issuer + "/api/v2/"
	}
	if len(cfg.Scopes) == 0 && cfg.MetadataAPI != "" {
		// The user's own token must be allowed to use the metadata API.
		cfg.Scopes = Auth0Scopes
	}
	store := r.env.Store
	if store == nil {
		store = session.NewKeychain(KeychainService)
	}
	m, err := session.New(session.Config{
		Issuer: cfg.Issuer, ClientID: cfg.ClientID, Audience: cfg.Audience, Scopes: cfg.Scopes,
		Store: store, LockDir: r.env.LockDir, Logger: r.log, ManualRenewal: manual,
	})
	if err != nil {
		cleanup()
		return nil, nil, usageError{err.Error()}
	}
	s := &Session{Config: cfg, Manager: m, Metadata: &profile.MetadataClient{BaseURL: cfg.MetadataAPI}, Log: r.log}
	return s, func() { m.Close(); cleanup() }, nil
}

// checkProvider makes sure discovery works, naming the setting on failure.
func (r *runner) checkProvider(s *Session) error {
	if _, err := s.Manager.Provider(r.ctx); err != nil {
		return fmt.Errorf("issuer %s (from %s): %w", s.Config.Issuer, s.Config.Origin("issuer"), err)
	}
	return nil
}

// start checks that a command got no arguments, then connects.
func (r *runner) start(args []string, manual bool) (*Session, func(), error) {
	if err := noArgs(args); err != nil {
		return nil, nil, err
	}
	return r.connect(manual)
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

// app opens the desktop app; with --no-window it signs in when needed and
// says who is signed in.
func (r *runner) app(_ *flag.FlagSet, args []string) error {
	s, done, err := r.start(args, false)
	if err != nil {
		return err
	}
	defer done()
	if r.env.Window != nil && !r.noWindow {
		return r.env.Window(r.ctx, s)
	}
	creds, err := r.ensureSignedIn(s)
	if err != nil {
		return err
	}
	if s.Profile, err = profile.FromCredentials(creds); err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "Signed in as %s\n", signedInAs(s.Profile))
	return nil
}

func (r *runner) login(_ *flag.FlagSet, args []string) error {
	s, done, err := r.start(args, true)
	if err != nil {
		return err
	}
	defer done()
	if s.Manager.HasValid(r.ctx, 0) || s.Manager.CanRenew(r.ctx) {
		creds, err := s.Manager.Current(r.ctx)
		if err == nil {
			p, _ := profile.FromCredentials(creds)
			fmt.Fprintf(r.env.Stderr, "Already signed in as %s; run latch logout first to switch accounts.\n", signedInAs(p))
			return nil
		}
	}
	creds, err := r.signIn(s)
	if err != nil {
		return err
	}
	p, _ := profile.FromCredentials(creds)
	fmt.Fprintf(r.env.Stderr, "Signed in as %s\n", signedInAs(p))
	return nil
}

// ensureSignedIn returns valid credentials: stored, renewed, or from a new
// sign-in.
func (r *runner) ensureSignedIn(s *Session) (*session.Credentials, error) {
	if s.Manager.HasValid(r.ctx, 30*time.Second) || s.Manager.CanRenew(r.ctx) {
		creds, err := s.Manager.Credentials(r.ctx, 30*time.Second)
		if err == nil {
			return creds, nil
		}
		if !errors.Is(err, session.ErrSignInRequired) && !errors.Is(err, session.ErrNoCredentials) {
			return nil, err
		}
		fmt.Fprintln(r.env.Stderr, Describe(err))
	}
	return r.signIn(s)
}

func (r *runner) signIn(s *Session) (*session.Credentials, error) {
	if err := r.checkProvider(s); err != nil {
		return nil, err
	}
	m := s.Manager
	if r.device {
		d, err := m.StartDeviceLogin(r.ctx)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(r.env.Stdout, "user_code: %s\nverification_uri: %s\n", d.UserCode, d.VerificationURI)
		if d.VerificationURIComplete != "" {
			fmt.Fprintf(r.env.Stdout, "verification_uri_complete: %s\n", d.VerificationURIComplete)
		}
		fmt.Fprintf(r.env.Stderr, "To sign in, open %s and enter the code %s (it expires at %s).\n",
			d.VerificationURI, d.UserCode, d.Expiry.Local().Format(time.TimeOnly))
		return d.Wait(r.ctx)
	}
	open := r.env.OpenURL
	if open == nil {
		open = session.OpenBrowser
	}
	if r.noBrowser {
		open = func(_ context.Context, u string) error {
			fmt.Fprintln(r.env.Stdout, u)
			return nil
		}
	} else {
		browser := open
		open = func(ctx context.Context, u string) error {
			fmt.Fprintf(r.env.Stderr, "Opening your browser to sign in. If it does not open, visit:\n%s\n", u)
			if err := browser(ctx, u); err != nil {
				fmt.Fprintf(r.env.Stderr, "(could not open a browser: %v)\n", err)
			}
			return nil
		}
	}
	return m.LoginWithBrowser(r.ctx, session.BrowserLogin{OpenURL: open})
}

// statusReport is `latch status --json`.
type statusReport struct {
	State         string    `json:"state"`
	Reason        string    `json:"reason,omitempty"`
	Issuer        string    `json:"issuer"`
	Subject       string    `json:"subject,omitempty"`
	Name          string    `json:"name,omitempty"`
	Email         string    `json:"email,omitempty"`
	AccessExpiry  time.Time `json:"access_token_expiry,omitzero"`
	AccessValid   bool      `json:"access_token_valid"`
	RefreshToken  bool      `json:"refresh_token"`
	RefreshExpiry time.Time `json:"refresh_token_expiry,omitzero"`
	LastRenewal   time.Time `json:"last_renewal,omitzero"`
}

func (r *runner) status(_ *flag.FlagSet, args []string) error {
	s, done, err := r.start(args, true)
	if err != nil {
		return err
	}
	defer done()
	rep := statusReport{Issuer: s.Config.Issuer}
	creds, err := s.Manager.Current(r.ctx)
	if err != nil && !errors.Is(err, session.ErrNoCredentials) {
		return err
	}
	ev := s.Manager.State()
	rep.State, rep.Reason = ev.State.String(), ev.Reason
	var p profile.Profile
	if creds != nil {
		p, _ = profile.FromCredentials(creds)
		rep.Subject, rep.Name, rep.Email = p.Subject, p.DisplayName(), p.Email
		rep.AccessExpiry, rep.RefreshExpiry, rep.LastRenewal = creds.Expiry, creds.RefreshExpiry, creds.ObtainedAt
		rep.AccessValid = creds.ValidFor(time.Now(), 0)
		rep.RefreshToken = creds.RefreshToken != ""
	}
	if r.json {
		enc := json.NewEncoder(r.env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		w := r.env.Stdout
		fmt.Fprintf(w, "State: %s\n", rep.State)
		fmt.Fprintf(w, "Provider: %s\n", rep.Issuer)
		if creds != nil {
			fmt.Fprintf(w, "Signed in as: %s\n", signedInAs(p))
			if !rep.AccessExpiry.IsZero() {
				left := time.Until(rep.AccessExpiry).Round(time.Second)
				when := "expires in " + left.String()
				if left <= 0 {
					when = "expired " + (-left).String() + " ago"
				}
				fmt.Fprintf(w, "Access token: %s (%s)\n", when, rep.AccessExpiry.Local().Format(time.DateTime))
			}
			fmt.Fprintf(w, "Refresh token: %s\n", map[bool]string{true: "held", false: "none"}[rep.RefreshToken])
		}
		if rep.Reason != "" {
			fmt.Fprintf(w, "Reason: %s\n", rep.Reason)
		}
	}
	if creds == nil {
		return errors.New("not signed in (run latch login)")
	}
	return nil
}

func (r *runner) token(_ *flag.FlagSet, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if r.minTTL < 0 {
		return usagef("--min-ttl must not be negative")
	}
	s, done, err := r.connect(true)
	if err != nil {
		return err
	}
	defer done()
	creds, err := s.Manager.Credentials(r.ctx, r.minTTL)
	if err != nil {
		return err
	}
	fmt.Fprintln(r.env.Stdout, creds.AccessToken)
	return nil
}

func (r *runner) logout(_ *flag.FlagSet, args []string) error {
	s, done, err := r.start(args, true)
	if err != nil {
		return err
	}
	defer done()
	if _, err := s.Manager.Current(r.ctx); errors.Is(err, session.ErrNoCredentials) {
		fmt.Fprintln(r.env.Stderr, "Not signed in; nothing to do.")
		return nil
	}
	if err := s.Manager.Logout(r.ctx); err != nil {
		if s.Manager.HasValid(r.ctx, 0) {
			return err
		}
		return fmt.Errorf("signed out on this computer, but the provider was not told: %w", err)
	}
	fmt.Fprintln(r.env.Stderr, "Signed out.")
	return nil
}

func (r *runner) metadata(_ *flag.FlagSet, args []string) error {
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
	s, done, err := r.connect(true)
	if err != nil {
		return err
	}
	defer done()
	if s.Metadata.BaseURL == "" {
		return fmt.Errorf("%w: configure --metadata-api, or use the Auth0 preset", profile.ErrNoMetadataAPI)
	}
	creds, err := s.Manager.Credentials(r.ctx, 10*time.Second)
	if err != nil {
		return err
	}
	var md map[string]any
	if verb == "get" {
		md, err = s.Metadata.Get(r.ctx, creds)
	} else {
		md, err = s.Metadata.Patch(r.ctx, creds, changes)
	}
	if err != nil {
		return err
	}
	if verb != "get" {
		return nil
	}
	if r.json {
		enc := json.NewEncoder(r.env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(md)
	}
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := json.Marshal(md[k])
		fmt.Fprintf(r.env.Stdout, "%s=%s\n", k, v)
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
			return nil, usageError{err.Error()}
		}
		if _, dup := changes[key]; dup {
			return nil, usagef("key %q given twice", key)
		}
		if verb == "unset" {
			changes[key] = nil
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(value), &v); err != nil || v == nil {
			v = value
		}
		changes[key] = v
	}
	return changes, nil
}

func (r *runner) sandbox(_ *flag.FlagSet, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	addr := r.addr
	if addr == "" {
		cfg, err := r.config()
		if err == nil && cfg.SandboxAddr != "" {
			addr = cfg.SandboxAddr
		}
	}
	if r.tokenTTL < time.Second {
		return usagef("--token-ttl must be at least 1s")
	}
	srv, err := sandbox.New(sandbox.Config{Addr: addr, StateFile: r.env.SandboxStateFile, Logger: r.log, AccessTokenTTL: r.tokenTTL})
	if err != nil {
		return err
	}
	if err := srv.Start(r.ctx); err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(r.env.Stdout, "issuer: %s\nclient_id: %s\nmetadata_api: %s\n", srv.Issuer(), sandbox.ClientID, srv.MetadataAPI())
	fmt.Fprintf(r.env.Stderr, "Sandbox running; demo accounts: demo/demo, ada/lovelace. Stop it with Ctrl-C.\n")
	<-r.ctx.Done()
	return nil
}

// signedInAs is "Name <email> (subject sub)", leaving out what is unknown.
func signedInAs(p profile.Profile) string {
	s := p.DisplayName()
	if p.Email != "" && p.Email != s {
		s += " <" + p.Email + ">"
	}
	if p.Subject != "" && p.Subject != p.DisplayName() {
		s += " (subject " + p.Subject + ")"
	}
	return s
}

// Describe turns an error into the sentence a person reads: the
// provider's reason, what to do about the keychain, or the error itself.
func Describe(err error) string {
	var pe *session.ProviderError
	var api *profile.APIError
	switch {
	case errors.As(err, &pe):
		return pe.Reason()
	case errors.As(err, &api):
		return api.Error()
	case errors.Is(err, session.ErrNoCredentials):
		return "not signed in (run latch login)"
	case errors.Is(err, session.ErrKeychainUnavailable):
		return "the system keychain is unavailable (unlock it, or start a keyring service such as gnome-keyring): " + err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out; please try again"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return err.Error()
}

// Package cli is Latch's command line: it reads the configuration, signs
// the person in when no valid session is stored, and says who is signed
// in. It shares package session's keychain entries with the desktop app,
// so that signing in here signs in there.
//
//	os.Exit(cli.Run(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr}))
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"latch/profile"
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
	// Window, when set, shows the signed-in person in a window and returns
	// when it is closed. --no-window skips it.
	Window func(ctx context.Context, m *session.Manager, p profile.Profile) error
}

// Config is the provider configuration, from flags and the environment.
type Config struct {
	Issuer   string
	ClientID string
	Audience string
	Scopes   []string
}

// usage is printed by --help.
const usage = `Usage: latch [flags]

Signs you in to an OpenID Connect provider, keeps the session in the
system keychain and shows who is signed in. A session already stored is
used without signing in again.

Flags:
  --issuer URL        the provider's issuer URL (env LATCH_ISSUER)
  --client-id ID      Latch's client ID at the provider (env LATCH_CLIENT_ID)
  --audience AUD      API audience to request, for Auth0 (env LATCH_AUDIENCE)
  --scopes "A B"      scopes to request (env LATCH_SCOPES;
                      default "openid profile email offline_access")
  --device            sign in on another device (device authorization grant)
  --no-browser        print the sign-in URL instead of opening a browser
  --no-window         print who is signed in and exit, without a window
  --verbose           log diagnostics to stderr (never tokens)
`

// Run runs the command line with args (without the program name) and
// returns the exit status: 0 on success, 1 on failure, 2 for bad usage.
// Failures are one clear line on stderr.
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
	fs := flag.NewFlagSet("latch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cfg Config
	var scopes string
	fs.StringVar(&cfg.Issuer, "issuer", env.Getenv("LATCH_ISSUER"), "")
	fs.StringVar(&cfg.ClientID, "client-id", env.Getenv("LATCH_CLIENT_ID"), "")
	fs.StringVar(&cfg.Audience, "audience", env.Getenv("LATCH_AUDIENCE"), "")
	fs.StringVar(&scopes, "scopes", env.Getenv("LATCH_SCOPES"), "")
	device := fs.Bool("device", false, "")
	noBrowser := fs.Bool("no-browser", false, "")
	noWindow := fs.Bool("no-window", false, "")
	verbose := fs.Bool("verbose", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, usage)
			return 0
		}
		fmt.Fprintf(env.Stderr, "latch: %v (see latch --help)\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "latch: unknown command %q (see latch --help)\n", fs.Arg(0))
		return 2
	}
	cfg.Scopes = strings.Fields(scopes)
	if err := cfg.check(); err != nil {
		fmt.Fprintf(env.Stderr, "latch: %v\n", err)
		return 2
	}

	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	store := env.Store
	if store == nil {
		store = session.NewKeychain(KeychainService)
	}
	m, err := session.New(session.Config{
		Issuer:   cfg.Issuer,
		ClientID: cfg.ClientID,
		Audience: cfg.Audience,
		Scopes:   cfg.Scopes,
		Store:    store,
		LockDir:  env.LockDir,
		Logger:   logger,
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "latch: %v\n", err)
		return 2
	}
	defer m.Close()

	creds, err := ensureSignedIn(ctx, m, env, *device, *noBrowser)
	if err != nil {
		fmt.Fprintf(env.Stderr, "latch: %s\n", describe(err))
		return 1
	}
	p, err := profile.FromCredentials(creds)
	if err != nil {
		fmt.Fprintf(env.Stderr, "latch: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "Signed in as %s\n", signedInAs(p))
	fmt.Fprintf(env.Stdout, "Provider: %s\n", cfg.Issuer)
	if !creds.Expiry.IsZero() {
		fmt.Fprintf(env.Stdout, "Access token valid until %s (renewed automatically: %t)\n",
			creds.Expiry.Local().Format(time.DateTime), creds.RefreshToken != "")
	}
	if env.Window != nil && !*noWindow {
		if err := env.Window(ctx, m, p); err != nil {
			fmt.Fprintf(env.Stderr, "latch: %s\n", describe(err))
			return 1
		}
	}
	return 0
}

func (c Config) check() error {
	if c.Issuer == "" || c.ClientID == "" {
		return errors.New("no provider configured: pass --issuer URL and --client-id ID, or set LATCH_ISSUER and LATCH_CLIENT_ID")
	}
	u, err := url.Parse(c.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("--issuer %q is not an http(s) URL", c.Issuer)
	}
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

// ensureSignedIn returns valid credentials: the stored ones, renewed ones,
// or those of a new sign-in.
func ensureSignedIn(ctx context.Context, m *session.Manager, env Env, device, noBrowser bool) (*session.Credentials, error) {
	if m.HasValid(ctx, 30*time.Second) || m.CanRenew(ctx) {
		creds, err := m.Credentials(ctx, 30*time.Second)
		if err == nil {
			return creds, nil
		}
		if !errors.Is(err, session.ErrSignInRequired) && !errors.Is(err, session.ErrNoCredentials) {
			return nil, err
		}
		fmt.Fprintf(env.Stderr, "%s\n", describe(err))
	}
	if device {
		d, err := m.StartDeviceLogin(ctx)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(env.Stderr, "To sign in, open %s and enter the code %s\n", d.VerificationURI, d.UserCode)
		if d.VerificationURIComplete != "" {
			fmt.Fprintf(env.Stderr, "or open %s\n", d.VerificationURIComplete)
		}
		fmt.Fprintf(env.Stderr, "The code expires at %s.\n", d.Expiry.Local().Format(time.TimeOnly))
		return d.Wait(ctx)
	}
	open := env.OpenURL
	if open == nil {
		open = session.OpenBrowser
	}
	if noBrowser {
		open = func(_ context.Context, u string) error {
			fmt.Fprintln(env.Stdout, u)
			return nil
		}
	} else {
		browser := open
		open = func(ctx context.Context, u string) error {
			fmt.Fprintf(env.Stderr, "Opening your browser to sign in. If it does not open, visit:\n%s\n", u)
			if err := browser(ctx, u); err != nil {
				fmt.Fprintf(env.Stderr, "(could not open a browser: %v)\n", err)
			}
			return nil
		}
	}
	return m.LoginWithBrowser(ctx, session.BrowserLogin{OpenURL: open})
}

// describe turns an error into the one line a person reads.
func describe(err error) string {
	var pe *session.ProviderError
	switch {
	case errors.As(err, &pe):
		return pe.Reason()
	case errors.Is(err, session.ErrKeychainUnavailable):
		return "the system keychain is unavailable (unlock it, or start a keyring service such as gnome-keyring): " + err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "sign-in timed out; please try again"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return err.Error()
}

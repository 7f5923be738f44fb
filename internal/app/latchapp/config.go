// Package latchapp is the application above the session library: what
// Latch's two front ends, the command line (package
// cli) and the desktop app (package ui), share, free of any user
// interface: the configuration and its provider presets, starting the sandbox,
// making the session Manager and the metadata client, the launch
// decision, and the one function that words errors for people.
//
//	cfg, err := latchapp.LoadConfig(latchapp.Settings{}, os.Getenv, latchapp.DefaultConfigFile())
//	a, err := latchapp.Open(ctx, cfg, latchapp.Options{})
//	defer a.Close()
//	l := latchapp.Decide(ctx, a.Manager, nil)
//	fmt.Println(latchapp.Describe(l.Reason))
package latchapp

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/latchapp/latch/base/apicheck"
	"github.com/latchapp/latch/base/secureurl"
	"github.com/latchapp/latch/session"
)

// Config says which provider Latch talks to. It comes from flags, the
// environment (LATCH_*) and the config file, in that order of precedence.
type Config struct {
	// Account is the account's name: "default" for the file's top-level
	// settings, else its [accounts.NAME] table's.
	Account     string
	Issuer      string
	ClientID    string
	Audience    string
	Scopes      []string
	MetadataAPI string
	// APIs are the named tokens declared, by name ([apis.NAME] tables in
	// the config file): sign-in asks for them too.
	APIs map[string]session.API
	// ResourceParameter names how a named token's API is asked for:
	// "resource" (RFC 8707), or with the Auth0 preset "audience".
	ResourceParameter string
	// DPoP binds the tokens to a key kept in the keychain (RFC 9449).
	DPoP bool
	// RedirectURL is the exact loopback redirect address of a browser
	// sign-in, for a provider that registers one; empty takes any port.
	RedirectURL string
	// EndSessionEndpoint ends the provider's browser session when its
	// discovery names no end_session_endpoint: Auth0's /v2/logout with
	// the Auth0 preset.
	EndSessionEndpoint string
	// Preset is the name of the provider preset in use (see [Presets]),
	// empty for none; PresetValues are the values it was given, by key
	// (auth0_domain, …), as the app's Edit account shows them.
	Preset       string
	PresetValues map[string]string `json:"-"`
	// ClientSecret is the secret of a client that providers give one
	// although it is installed (the Google preset's).
	ClientSecret string
	// AuthParams are added to the browser sign-in's request (the Google
	// preset's access_type=offline).
	AuthParams url.Values
	// Agent says whether the command line asks the person's agent:
	// [AgentAuto] or [AgentOff]. It is the person's, not the account's.
	Agent string `json:"-"`
	// AgentIdle is how long a headless agent started by the command line
	// waits for a request before it exits; 0 means the agent's default.
	AgentIdle time.Duration `json:"-"`
	// Confirm says that the account's own tokens (its access and ID
	// token) are handed out only after the person allows it in the
	// desktop app; ConfirmAPIs names the named tokens that are (confirm =
	// true in their [apis.NAME] table). See [Config.Confirms].
	Confirm     bool
	ConfirmAPIs []string
	// ConfirmFor is how long "Allow this program" lasts: confirm_for at
	// the file's top level, else [DefaultConfirmFor].
	ConfirmFor time.Duration `json:"-"`
	// Sandbox is true when the built-in sandbox provider is used: nothing
	// else is configured, or the configuration asks for it.
	Sandbox bool
	// SandboxAddr is the sandbox's loopback address.
	SandboxAddr string

	// origin names where each setting came from, for error messages.
	origin map[string]string
}

// Origin says where a setting came from: "--issuer", "LATCH_ISSUER" or
// "issuer in FILE".
func (c Config) Origin(setting string) string {
	if o := c.origin[setting]; o != "" {
		return o
	}
	return setting
}

// DefaultConfigFile is config.toml in the "latch" folder of the user's
// config directory.
func DefaultConfigFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "latch", "config.toml")
}

// Settings are the values given on the command line, by flag name.
type Settings struct {
	// Account names the account (--account); empty means LATCH_ACCOUNT,
	// then the active one (see [SwitchAccount]).
	Account                                                                                  string
	Issuer, ClientID, Audience, Scopes, MetadataAPI, Sandbox, SandboxAddr, DPoP, RedirectURL string
	// Agent is --agent: auto or off.
	Agent string
	// Presets are the provider presets' values, by key (auth0_domain,
	// okta_org, ...), set by their flags (--auth0-domain, --okta-org).
	Presets map[string]string
	// Set names the flags given ("issuer", "client-id", ...): only those
	// take precedence.
	Set map[string]bool
	// Named, when set, says how messages name a setting given by flag
	// name ("the Issuer field", for the app's dialog); else "--issuer".
	Named map[string]string
}

// ConfigError is a configuration that cannot be used; its text names the
// setting and where it came from.
type ConfigError struct {
	Msg string
	// File and Line, when known, are where in the config file the
	// problem is (Line 0: the file as a whole, or not known).
	File string
	Line int
}

// Error implements error.
func (e *ConfigError) Error() string { return e.Msg }

// LoadConfig merges flag values, the environment (read with getenv) and
// the TOML file (empty: none), in that order of precedence. A missing file
// is no error; an unreadable or malformed one, or one with unknown keys,
// is. Errors are a [*ConfigError].
func LoadConfig(flags Settings, getenv func(string) string, file string) (Config, error) {
	cfg, err := loadConfig(flags, getenv, file)
	if err != nil {
		return cfg, asConfigError(err)
	}
	return cfg, nil
}

func loadConfig(flags Settings, getenv func(string) string, file string) (Config, error) {
	fc, err := readConfigFile(file)
	if err != nil {
		return Config{origin: map[string]string{}}, err
	}
	return configFrom(flags, getenv, fc, file)
}

// configFrom is loadConfig with file's text already read as fc.
func configFrom(flags Settings, getenv func(string) string, fc fileConfig, file string) (Config, error) {
	flagNames := flags.Set
	cfg := Config{origin: map[string]string{}}
	var err error
	if cfg.Account, err = ChosenAccount(flags, getenv, file); err != nil {
		return cfg, err
	}
	fa, where := fc.fileAccount, ""
	if cfg.Account != DefaultAccount {
		var ok bool
		if fa, ok = fc.Accounts[cfg.Account]; !ok {
			return cfg, fmt.Errorf("there is no account %q in %s: see latch accounts", cfg.Account, displayFile(file))
		}
		where = "accounts." + cfg.Account + "."
	}
	var fileSandbox, fileDPoP string
	if fa.Sandbox != nil {
		fileSandbox = fmt.Sprint(*fa.Sandbox)
	}
	if fa.DPoP != nil {
		fileDPoP = fmt.Sprint(*fa.DPoP)
	}
	// pickAt picks a setting from the flag, else the environment, else
	// the file at the table where ("" for the top level); pick, at the
	// account's table.
	pickAt := func(where string) func(setting, flagName, flagValue, env, fileKey, fileValue string) string {
		return func(setting, flagName, flagValue, env, fileKey, fileValue string) string {
			switch {
			case flagNames[flagName]:
				cfg.origin[setting] = cmp.Or(flags.Named[flagName], "--"+flagName)
				return flagValue
			case getenv(env) != "":
				cfg.origin[setting] = env
				return getenv(env)
			case fileValue != "":
				cfg.origin[setting] = where + fileKey + " in " + file
				return fileValue
			}
			return ""
		}
	}
	pick := pickAt(where)
	cfg.Issuer = pick("issuer", "issuer", flags.Issuer, "LATCH_ISSUER", "issuer", fa.Issuer)
	cfg.ClientID = pick("client_id", "client-id", flags.ClientID, "LATCH_CLIENT_ID", "client_id", fa.ClientID)
	cfg.Audience = pick("audience", "audience", flags.Audience, "LATCH_AUDIENCE", "audience", fa.Audience)
	scopes := pick("scopes", "scopes", flags.Scopes, "LATCH_SCOPES", "scopes", strings.Join(fa.Scopes, " "))
	cfg.MetadataAPI = pick("metadata_api", "metadata-api", flags.MetadataAPI, "LATCH_METADATA_API", "metadata_api", fa.MetadataAPI)
	presets := map[string]string{}
	for _, p := range Presets {
		for _, f := range p.Fields {
			presets[f.Key] = pick(f.Key, f.Flag(), flags.Presets[f.Key], f.Env(), f.Key, fa.Presets[f.Key])
		}
	}
	sandbox := pick("sandbox", "sandbox", flags.Sandbox, "LATCH_SANDBOX", "sandbox", fileSandbox)
	cfg.SandboxAddr = pick("sandbox_addr", "sandbox-addr", flags.SandboxAddr, "LATCH_SANDBOX_ADDR", "sandbox_addr", fa.SandboxAddr)
	if cfg.SandboxAddr == "" && where != "" && fc.SandboxAddr != "" {
		// One sandbox serves every account that uses it: an account
		// without an address of its own takes the top level's. (No other
		// provider setting is inherited: the top level is the default
		// account's.)
		cfg.SandboxAddr = fc.SandboxAddr
		cfg.origin["sandbox_addr"] = "sandbox_addr in " + file
	}
	cfg.Scopes = SplitScopes(scopes)
	dpop := pick("dpop", "dpop", flags.DPoP, "LATCH_DPOP", "dpop", fileDPoP)
	cfg.RedirectURL = pick("redirect_url", "redirect-url", flags.RedirectURL, "LATCH_REDIRECT_URL", "redirect_url", fa.RedirectURL)
	cfg.ResourceParameter = "resource"
	if len(fa.APIs) > 0 {
		cfg.APIs = map[string]session.API{}
		for name, api := range fa.APIs {
			cfg.APIs[name] = session.API{Audience: api.Audience, Scopes: api.Scopes}
			if api.Confirm {
				cfg.ConfirmAPIs = append(cfg.ConfirmAPIs, name)
			}
		}
		slices.Sort(cfg.ConfirmAPIs)
		cfg.origin["apis"] = "[" + where + "apis] in " + file
	}

	// The agent is the person's: its settings are at the top level.
	agent := pickAt("")("agent", "agent", flags.Agent, "LATCH_AGENT", "agent", fc.Agent)
	if err := cfg.agentSettings(agent, fc.AgentIdle, file); err != nil {
		return cfg, err
	}
	cfg.Confirm = fa.Confirm
	if cfg.ConfirmFor, err = confirmFor(fc.ConfirmFor, file); err != nil {
		return cfg, err
	}
	if err := cfg.applyPreset(presets); err != nil {
		return cfg, err
	}
	on, err := cfg.boolSetting("sandbox", sandbox, cfg.Issuer == "")
	if err != nil {
		return cfg, err
	}
	cfg.Sandbox = on
	if cfg.DPoP, err = cfg.boolSetting("dpop", dpop, false); err != nil {
		return cfg, err
	}
	return cfg, cfg.check()
}

// The values of [Config.Agent].
const (
	// AgentAuto asks the running agent, or starts a headless one.
	AgentAuto = "auto"
	// AgentOff does all the work in the command's own process.
	AgentOff = "off"
)

// agentSettings sets the agent setting picked (auto when none is) and
// agent_idle (the file's, idle), and checks them.
func (c *Config) agentSettings(agent, idle, file string) error {
	c.Agent = cmp.Or(agent, AgentAuto)
	if c.Agent != AgentAuto && c.Agent != AgentOff {
		return fmt.Errorf("%s is auto or off, not %q", c.Origin("agent"), c.Agent)
	}
	var err error
	c.AgentIdle, err = fileDuration("agent_idle", idle, "30m", file)
	return err
}

// fileDuration reads value, the config file's key (a duration such as
// example; 0 when the file sets none).
func fileDuration(key, value, example, file string) (time.Duration, error) {
	if value == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(value)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s in %s is a duration such as %s, not %q", key, file, example, value)
	}
	return d, nil
}

// boolSetting reads a true-or-false setting; empty means unset.
func (c Config) boolSetting(setting, value string, unset bool) (bool, error) {
	switch strings.ToLower(value) {
	case "":
		return unset, nil
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s: %q is not true or false", c.Origin(setting), value)
}

// SplitScopes reads a list of scopes as the settings give them: separated
// by spaces or commas.
func SplitScopes(s string) []string { return strings.Fields(strings.ReplaceAll(s, ",", " ")) }

func (c Config) check() error {
	for name, api := range c.APIs {
		if err := apicheck.Check(name, api.Audience, c.ResourceParameter); err != nil {
			return fmt.Errorf("%s: %w", c.Origin("apis"), err)
		}
	}
	if c.RedirectURL != "" {
		if err := secureurl.CheckRedirect(c.RedirectURL); err != nil {
			return fmt.Errorf("%s: %w", c.Origin("redirect_url"), err)
		}
	}
	if c.Sandbox {
		return nil
	}
	if c.Issuer == "" {
		return errors.New("no provider configured: set an issuer and a client ID (--issuer, --client-id), a preset's settings and a client ID (--auth0-domain, --okta-org, --keycloak-url, --entra-tenant, --google-client-secret: see latch --help), or turn the sandbox on")
	}
	if err := checkURL(c.Issuer); err != nil {
		return fmt.Errorf("%s: %w", c.Origin("issuer"), err)
	}
	if c.ClientID == "" {
		return fmt.Errorf("no client ID configured for %s: set --client-id or LATCH_CLIENT_ID", c.Issuer)
	}
	if c.MetadataAPI != "" {
		if err := checkURL(c.MetadataAPI); err != nil {
			return fmt.Errorf("%s: %w", c.Origin("metadata_api"), err)
		}
	}
	for _, s := range []struct{ setting, value string }{{"issuer", c.Issuer}, {"metadata_api", c.MetadataAPI}} {
		if s.value != "" && !secureurl.Secure(s.value) {
			return fmt.Errorf("%s: %q must use https (plain http is allowed to this machine only: 127.0.0.1, ::1 or localhost)", c.Origin(s.setting), s.value)
		}
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// Package latchapp is the application above the session library: what
// Latch's two front ends, the command line (package
// cli) and the desktop app (package ui), share, free of any user
// interface: the configuration and its Auth0 preset, starting the sandbox,
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
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"

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

// fileAccount is one account's settings in the TOML config file: the
// file's top level (the account "default") or an [accounts.NAME] table.
type fileAccount struct {
	Issuer      string   `toml:"issuer,omitempty"`
	ClientID    string   `toml:"client_id,omitempty"`
	Audience    string   `toml:"audience,omitempty"`
	Scopes      []string `toml:"scopes,omitempty"`
	MetadataAPI string   `toml:"metadata_api,omitempty"`
	Auth0Domain string   `toml:"auth0_domain,omitempty"`
	Sandbox     *bool    `toml:"sandbox,omitempty"`
	SandboxAddr string   `toml:"sandbox_addr,omitempty"`
	DPoP        *bool    `toml:"dpop,omitempty"`
	RedirectURL string   `toml:"redirect_url,omitempty"`
	// APIs are [apis.NAME] tables.
	APIs map[string]fileAPI `toml:"apis,omitempty"`
}

type fileAPI struct {
	Audience string   `toml:"audience"`
	Scopes   []string `toml:"scopes,omitempty"`
}

// fileConfig is the TOML config file. Unknown keys are errors.
type fileConfig struct {
	fileAccount
	Accounts map[string]fileAccount `toml:"accounts"`
}

// knownKeys is said when a file has a key Latch does not know.
const knownKeys = "issuer, client_id, audience, scopes, metadata_api, auth0_domain, sandbox, sandbox_addr, dpop, redirect_url, [apis.NAME] tables with audience and scopes, and [accounts.NAME] tables of the same"

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
	Account                                                                                               string
	Issuer, ClientID, Audience, Scopes, MetadataAPI, Auth0Domain, Sandbox, SandboxAddr, DPoP, RedirectURL string
	// Set names the flags given ("issuer", "client-id", ...): only those
	// take precedence.
	Set map[string]bool
}

// ConfigError is a configuration that cannot be used; its text names the
// setting and where it came from.
type ConfigError struct{ Msg string }

// Error implements error.
func (e *ConfigError) Error() string { return e.Msg }

// LoadConfig merges flag values, the environment (read with getenv) and
// the TOML file (empty: none), in that order of precedence. A missing file
// is no error; an unreadable or malformed one, or one with unknown keys,
// is. Errors are a [*ConfigError].
func LoadConfig(flags Settings, getenv func(string) string, file string) (Config, error) {
	cfg, err := loadConfig(flags, getenv, file)
	if err != nil {
		return cfg, &ConfigError{Msg: err.Error()}
	}
	return cfg, nil
}

func loadConfig(flags Settings, getenv func(string) string, file string) (Config, error) {
	flagNames := flags.Set
	cfg := Config{origin: map[string]string{}}
	fc, err := readConfigFile(file)
	if err != nil {
		return cfg, err
	}
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
	pick := func(setting, flagName, flagValue, env, fileKey, fileValue string) string {
		switch {
		case flagNames[flagName]:
			cfg.origin[setting] = "--" + flagName
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
	cfg.Issuer = pick("issuer", "issuer", flags.Issuer, "LATCH_ISSUER", "issuer", fa.Issuer)
	cfg.ClientID = pick("client_id", "client-id", flags.ClientID, "LATCH_CLIENT_ID", "client_id", fa.ClientID)
	cfg.Audience = pick("audience", "audience", flags.Audience, "LATCH_AUDIENCE", "audience", fa.Audience)
	scopes := pick("scopes", "scopes", flags.Scopes, "LATCH_SCOPES", "scopes", strings.Join(fa.Scopes, " "))
	cfg.MetadataAPI = pick("metadata_api", "metadata-api", flags.MetadataAPI, "LATCH_METADATA_API", "metadata_api", fa.MetadataAPI)
	domain := pick("auth0_domain", "auth0-domain", flags.Auth0Domain, "LATCH_AUTH0_DOMAIN", "auth0_domain", fa.Auth0Domain)
	sandbox := pick("sandbox", "sandbox", flags.Sandbox, "LATCH_SANDBOX", "sandbox", fileSandbox)
	cfg.SandboxAddr = pick("sandbox_addr", "sandbox-addr", flags.SandboxAddr, "LATCH_SANDBOX_ADDR", "sandbox_addr", fa.SandboxAddr)
	cfg.Scopes = SplitScopes(scopes)
	dpop := pick("dpop", "dpop", flags.DPoP, "LATCH_DPOP", "dpop", fileDPoP)
	cfg.RedirectURL = pick("redirect_url", "redirect-url", flags.RedirectURL, "LATCH_REDIRECT_URL", "redirect_url", fa.RedirectURL)
	cfg.ResourceParameter = "resource"
	if len(fa.APIs) > 0 {
		cfg.APIs = map[string]session.API{}
		for name, api := range fa.APIs {
			cfg.APIs[name] = session.API{Audience: api.Audience, Scopes: api.Scopes}
		}
		cfg.origin["apis"] = "[" + where + "apis] in " + file
	}

	if domain != "" {
		if err := cfg.applyAuth0(domain); err != nil {
			return cfg, err
		}
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

// readConfigFile reads the config file; an empty name or a missing file
// is an empty configuration.
func readConfigFile(file string) (fileConfig, error) {
	var fc fileConfig
	if file == "" {
		return fc, nil
	}
	md, err := toml.DecodeFile(file, &fc)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fileConfig{}, nil
	case err != nil:
		return fc, fmt.Errorf("config file %s: %w", file, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return fc, fmt.Errorf("config file %s: unknown key %q (known: %s)", file, undecoded[0].String(), knownKeys)
	}
	for name := range fc.Accounts {
		if err := checkAccountName(name); err != nil {
			return fc, fmt.Errorf("config file %s: %w", file, err)
		}
	}
	return fc, nil
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
		return errors.New("no provider configured: set an issuer and a client ID (--issuer, --client-id), an Auth0 domain (--auth0-domain), or turn the sandbox on")
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

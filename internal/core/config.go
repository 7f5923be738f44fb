// Package core is what Latch's two front ends, the command line (package
// cli) and the desktop app (package ui), share, free of any user
// interface: the configuration and its Auth0 preset, starting the sandbox,
// making the session Manager and the metadata client, the launch
// decision, and the one function that words errors for people.
//
//	cfg, err := core.LoadConfig(core.Settings{}, os.Getenv, core.DefaultConfigFile())
//	a, err := core.Open(ctx, cfg, core.Options{})
//	defer a.Close()
//	l := core.Decide(ctx, a.Manager, nil)
//	fmt.Println(core.Describe(l.Reason))
package core

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/latchapp/latch/internal/apicheck"
	"github.com/latchapp/latch/internal/secureurl"
	"github.com/latchapp/latch/session"
)

// Config says which provider Latch talks to. It comes from flags, the
// environment (LATCH_*) and the config file, in that order of precedence.
type Config struct {
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

// fileConfig is the TOML config file. Unknown keys are errors.
type fileConfig struct {
	Issuer      string   `toml:"issuer"`
	ClientID    string   `toml:"client_id"`
	Audience    string   `toml:"audience"`
	Scopes      []string `toml:"scopes"`
	MetadataAPI string   `toml:"metadata_api"`
	Auth0Domain string   `toml:"auth0_domain"`
	Sandbox     *bool    `toml:"sandbox"`
	SandboxAddr string   `toml:"sandbox_addr"`
	DPoP        *bool    `toml:"dpop"`
	// APIs are [apis.NAME] tables.
	APIs map[string]struct {
		Audience string   `toml:"audience"`
		Scopes   []string `toml:"scopes"`
	} `toml:"apis"`
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
	Issuer, ClientID, Audience, Scopes, MetadataAPI, Auth0Domain, Sandbox, SandboxAddr, DPoP string
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
	var fc fileConfig
	if file != "" {
		md, err := toml.DecodeFile(file, &fc)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return cfg, fmt.Errorf("config file %s: %w", file, err)
		default:
			if undecoded := md.Undecoded(); len(undecoded) > 0 {
				return cfg, fmt.Errorf("config file %s: unknown key %q (known: issuer, client_id, audience, scopes, metadata_api, auth0_domain, sandbox, sandbox_addr, dpop, and [apis.NAME] tables with audience and scopes)", file, undecoded[0].String())
			}
		}
	}
	var fileSandbox, fileDPoP string
	if fc.Sandbox != nil {
		fileSandbox = fmt.Sprint(*fc.Sandbox)
	}
	if fc.DPoP != nil {
		fileDPoP = fmt.Sprint(*fc.DPoP)
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
			cfg.origin[setting] = fileKey + " in " + file
			return fileValue
		}
		return ""
	}
	cfg.Issuer = pick("issuer", "issuer", flags.Issuer, "LATCH_ISSUER", "issuer", fc.Issuer)
	cfg.ClientID = pick("client_id", "client-id", flags.ClientID, "LATCH_CLIENT_ID", "client_id", fc.ClientID)
	cfg.Audience = pick("audience", "audience", flags.Audience, "LATCH_AUDIENCE", "audience", fc.Audience)
	scopes := pick("scopes", "scopes", flags.Scopes, "LATCH_SCOPES", "scopes", strings.Join(fc.Scopes, " "))
	cfg.MetadataAPI = pick("metadata_api", "metadata-api", flags.MetadataAPI, "LATCH_METADATA_API", "metadata_api", fc.MetadataAPI)
	domain := pick("auth0_domain", "auth0-domain", flags.Auth0Domain, "LATCH_AUTH0_DOMAIN", "auth0_domain", fc.Auth0Domain)
	sandbox := pick("sandbox", "sandbox", flags.Sandbox, "LATCH_SANDBOX", "sandbox", fileSandbox)
	cfg.SandboxAddr = pick("sandbox_addr", "sandbox-addr", flags.SandboxAddr, "LATCH_SANDBOX_ADDR", "sandbox_addr", fc.SandboxAddr)
	cfg.Scopes = SplitScopes(scopes)
	dpop := pick("dpop", "dpop", flags.DPoP, "LATCH_DPOP", "dpop", fileDPoP)
	cfg.ResourceParameter = "resource"
	if len(fc.APIs) > 0 {
		cfg.APIs = map[string]session.API{}
		for name, api := range fc.APIs {
			cfg.APIs[name] = session.API{Audience: api.Audience, Scopes: api.Scopes}
		}
		cfg.origin["apis"] = "[apis] in " + file
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

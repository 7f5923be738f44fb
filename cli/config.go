package cli

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"latch/profile"
	"latch/session"
)

// Config says which provider Latch talks to. It comes from flags, the
// environment (LATCH_*) and the config file, in that order of precedence.
type Config struct {
	Issuer      string
	ClientID    string
	Audience    string
	Scopes      []string
	MetadataAPI string
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

// Auth0Scopes are the scopes the Auth0 preset asks for, and any provider
// with a metadata API when no scopes are configured: the default ones and
// those of the Management API for the user's own record.
var Auth0Scopes = append(slices.Clone(session.DefaultScopes),
	profile.ScopeReadCurrentUser, profile.ScopeUpdateCurrentUserMetadata)

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

// settings are the raw values from one source.
type settings struct {
	issuer, clientID, audience, scopes, metadataAPI, auth0Domain, sandbox, sandboxAddr string
	// set names the flags given on the command line.
	set map[string]bool
}

// loadConfig merges flag values, environment and file. A missing file is
// no error; an unreadable or malformed one, or one with unknown keys, is.
func loadConfig(flags settings, flagNames map[string]bool, getenv func(string) string, file string) (Config, error) {
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
				return cfg, fmt.Errorf("config file %s: unknown key %q (known: issuer, client_id, audience, scopes, metadata_api, auth0_domain, sandbox, sandbox_addr)", file, undecoded[0].String())
			}
		}
	}
	var fileSandbox string
	if fc.Sandbox != nil {
		fileSandbox = fmt.Sprint(*fc.Sandbox)
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
	cfg.Issuer = pick("issuer", "issuer", flags.issuer, "LATCH_ISSUER", "issuer", fc.Issuer)
	cfg.ClientID = pick("client_id", "client-id", flags.clientID, "LATCH_CLIENT_ID", "client_id", fc.ClientID)
	cfg.Audience = pick("audience", "audience", flags.audience, "LATCH_AUDIENCE", "audience", fc.Audience)
	scopes := pick("scopes", "scopes", flags.scopes, "LATCH_SCOPES", "scopes", strings.Join(fc.Scopes, " "))
	cfg.MetadataAPI = pick("metadata_api", "metadata-api", flags.metadataAPI, "LATCH_METADATA_API", "metadata_api", fc.MetadataAPI)
	domain := pick("auth0_domain", "auth0-domain", flags.auth0Domain, "LATCH_AUTH0_DOMAIN", "auth0_domain", fc.Auth0Domain)
	sandbox := pick("sandbox", "sandbox", flags.sandbox, "LATCH_SANDBOX", "sandbox", fileSandbox)
	cfg.SandboxAddr = pick("sandbox_addr", "sandbox-addr", flags.sandboxAddr, "LATCH_SANDBOX_ADDR", "sandbox_addr", fc.SandboxAddr)
	cfg.Scopes = strings.Fields(strings.ReplaceAll(scopes, ",", " "))

	if domain != "" {
		if err := cfg.applyAuth0(domain); err != nil {
			return cfg, err
		}
	}
	switch strings.ToLower(sandbox) {
	case "":
		cfg.Sandbox = cfg.Issuer == ""
	case "true", "1", "yes", "on":
		cfg.Sandbox = true
	case "false", "0", "no", "off":
		cfg.Sandbox = false
	default:
		return cfg, fmt.Errorf("%s: %q is not true or false", cfg.Origin("sandbox"), sandbox)
	}
	return cfg, cfg.check()
}

// applyAuth0 derives the issuer, the Management API's audience and base
// URL, and the scopes from an Auth0 domain, leaving what was set
// explicitly.
func (c *Config) applyAuth0(domain string) error {
	domain = strings.TrimSuffix(strings.TrimPrefix(domain, "https://"), "/")
	if domain == "" || strings.ContainsAny(domain, "/ ?#@") {
		return fmt.Errorf("%s: %q is not a domain such as tenant.eu.auth0.com", c.Origin("auth0_domain"), domain)
	}
	base := "https://" + domain
	if c.Issuer == "" {
		c.Issuer, c.origin["issuer"] = base+"/", c.Origin("auth0_domain")
	}
	if c.Audience == "" {
		c.Audience, c.origin["audience"] = base+"/api/v2/", c.Origin("auth0_domain")
	}
	if c.MetadataAPI == "" {
		c.MetadataAPI, c.origin["metadata_api"] = base+"/api/v2/", c.Origin("auth0_domain")
	}
	if len(c.Scopes) == 0 {
		c.Scopes, c.origin["scopes"] = Auth0Scopes, c.Origin("auth0_domain")
	}
	return nil
}

func (c Config) check() error {
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
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

package latchapp

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/latchapp/latch/profile"
)

// A Preset derives the settings of one kind of provider from the few
// values a person knows of it: an Auth0 domain, an Okta org, a Keycloak
// realm. [Presets] is the one list of them: the command line's flags, its
// help and completion, the desktop app's Add account dialog and the
// config file all read it.
type Preset struct {
	// Name is the preset's name in help texts and the app ("okta").
	Name string
	// Title is the provider as people call it ("Okta").
	Title string
	// Fields are the values the preset takes; setting its first one
	// chooses it.
	Fields []PresetField
	// Lacks says what the provider does not do for Latch, for help texts;
	// empty when it does all.
	Lacks string
	// derive sets the configuration from the values (value returns a
	// field's value by key, its default when unset).
	derive func(c *Config, value func(key string) string) error
}

// A PresetField is one value a preset takes. Its key is its name in the
// config file (okta_org); its flag and environment variable are named
// after it (--okta-org, LATCH_OKTA_ORG).
type PresetField struct {
	Key string
	// Example is what a value looks like, for placeholders and help.
	Example string
	// Help says what it is, in a few words.
	Help string
	// Default is taken when the value is not given; empty means the
	// value is needed.
	Default string
}

// Flag is the field's command-line flag, without its dashes.
func (f PresetField) Flag() string { return strings.ReplaceAll(f.Key, "_", "-") }

// Env is the field's environment variable.
func (f PresetField) Env() string { return "LATCH_" + strings.ToUpper(f.Key) }

// Auth0Scopes are the scopes the Auth0 preset asks for, and any provider
// with a metadata API when no scopes are configured: the session's own
// (who the person is, and a refresh token) and those of the Management
// API for the user's own record.
var Auth0Scopes = []string{"openid", "profile", "email", "offline_access",
	profile.ScopeReadCurrentUser, profile.ScopeUpdateCurrentUserMetadata}

// presetScopes are the scopes of a preset without a metadata API: who the
// person is, and a refresh token.
var presetScopes = []string{"openid", "profile", "email", "offline_access"}

// googleIssuer is Google's issuer; tests serve Google's shape elsewhere.
var googleIssuer = "https://accounts.google.com"

// Presets are the providers Latch knows how to set up from a few values.
var Presets = []Preset{
	{
		Name: "auth0", Title: "Auth0",
		Fields: []PresetField{{Key: "auth0_domain", Example: "tenant.eu.auth0.com", Help: "the tenant's domain"}},
		derive: deriveAuth0,
	},
	{
		Name: "okta", Title: "Okta",
		Fields: []PresetField{
			{Key: "okta_org", Example: "https://dev-123456.okta.com", Help: "the Okta org's address"},
			{Key: "okta_auth_server", Example: "default", Help: "the authorization server", Default: "default"},
		},
		Lacks:  "no metadata API, since Okta's user API takes an admin token; one API audience per authorization server",
		derive: deriveOkta,
	},
	{
		Name: "keycloak", Title: "Keycloak",
		Fields: []PresetField{
			{Key: "keycloak_url", Example: "https://sso.example.com", Help: "the server's address (with /auth before Keycloak 17)"},
			{Key: "keycloak_realm", Example: "myrealm", Help: "the realm"},
		},
		Lacks:  "no metadata API, since Keycloak's account API has another shape",
		derive: deriveKeycloak,
	},
	{
		Name: "entra", Title: "Microsoft Entra ID",
		Fields: []PresetField{
			{Key: "entra_tenant", Example: "contoso.onmicrosoft.com", Help: "the tenant's ID or domain"},
			{Key: "entra_authority", Example: "https://login.microsoftonline.com", Help: "the cloud's sign-in address", Default: "https://login.microsoftonline.com"},
		},
		Lacks:  "no revocation endpoint, so sign-out clears this computer only; no metadata API; tokens for other APIs by scope, not by resource",
		derive: deriveEntra,
	},
	{
		Name: "google", Title: "Google",
		Fields: []PresetField{{Key: "google_client_secret", Example: "GOCSPX-...", Help: "the Desktop app client's secret, which Google gives installed apps (it is not secret)"}},
		Lacks:  "no refresh-token rotation, so one refresh token lasts until it is revoked; no provider sign-out; no metadata API",
		derive: deriveGoogle,
	},
}

// applyPreset applies the preset whose first field is set among values
// (by key); with none, it does nothing. Two presets at once are an error.
func (c *Config) applyPreset(values map[string]string) error {
	var chosen *Preset
	for i, p := range Presets {
		if values[p.Fields[0].Key] == "" {
			continue
		}
		if chosen != nil {
			return fmt.Errorf("%s and %s: choose one provider preset", c.Origin(chosen.Fields[0].Key), c.Origin(p.Fields[0].Key))
		}
		chosen = &Presets[i]
	}
	for _, p := range Presets {
		if chosen != nil && p.Name == chosen.Name {
			continue
		}
		for _, f := range p.Fields[1:] {
			if values[f.Key] != "" {
				return fmt.Errorf("%s belongs to the %s preset, which needs %s too", c.Origin(f.Key), p.Title, p.Fields[0].Key)
			}
		}
	}
	if chosen == nil {
		return nil
	}
	c.Preset = chosen.Name
	c.PresetValues = map[string]string{}
	for _, f := range chosen.Fields {
		if values[f.Key] != "" {
			c.PresetValues[f.Key] = values[f.Key]
		}
	}
	value := func(key string) string {
		if v := values[key]; v != "" {
			return v
		}
		for _, f := range chosen.Fields {
			if f.Key == key {
				return f.Default
			}
		}
		return ""
	}
	for _, f := range chosen.Fields {
		if value(f.Key) == "" {
			return fmt.Errorf("the %s preset needs %s (%s, such as %s)", chosen.Title, f.Key, f.Help, f.Example)
		}
	}
	return chosen.derive(c, value)
}

// derived sets a setting the preset derives, unless it was set
// explicitly.
func (c *Config) derived(setting string, to *string, value, from string) {
	if *to == "" {
		*to, c.origin[setting] = value, c.Origin(from)
	}
}

// derivedScopes sets the scopes the preset asks for, unless they were set
// explicitly.
func (c *Config) derivedScopes(scopes []string, from string) {
	if len(c.Scopes) == 0 {
		c.Scopes, c.origin["scopes"] = scopes, c.Origin(from)
	}
}

// presetAddress reads a preset's address setting: an https address (or
// plain http to this machine, which the issuer's check allows), the
// scheme optional; no query, fragment or user. It returns it without a
// trailing slash.
func (c *Config) presetAddress(key, value, example string) (string, error) {
	v := strings.TrimSuffix(strings.TrimSpace(value), "/")
	if !strings.Contains(v, "://") {
		v = "https://" + v
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(u.Host, " @") {
		return "", fmt.Errorf("%s: %q is not an address such as %s", c.Origin(key), value, example)
	}
	return v, nil
}

// presetName reads a preset's name setting (a realm, a tenant, an
// authorization server): one path segment.
func (c *Config) presetName(key, value, example string) (string, error) {
	if value == "" || value == "." || value == ".." || strings.ContainsAny(value, "/?#% \t\\") {
		return "", fmt.Errorf("%s: %q is not a name such as %s", c.Origin(key), value, example)
	}
	return value, nil
}

// deriveAuth0 derives the issuer, the Management API's audience and base
// URL, and the scopes from an Auth0 domain.
func deriveAuth0(c *Config, value func(string) string) error {
	raw := value("auth0_domain")
	var base string
	if strings.HasPrefix(raw, "http://") {
		// An Auth0-compatible server on this computer (the issuer's check
		// refuses plain http elsewhere).
		var err error
		if base, err = c.presetAddress("auth0_domain", raw, "tenant.eu.auth0.com"); err != nil {
			return err
		}
	} else {
		domain := strings.TrimSuffix(strings.TrimPrefix(raw, "https://"), "/")
		if domain == "" || strings.ContainsAny(domain, "/ ?#@") {
			return fmt.Errorf("%s: %q is not a domain such as tenant.eu.auth0.com", c.Origin("auth0_domain"), domain)
		}
		base = "https://" + domain
	}
	c.derived("issuer", &c.Issuer, base+"/", "auth0_domain")
	c.derived("audience", &c.Audience, base+"/api/v2/", "auth0_domain")
	c.derived("metadata_api", &c.MetadataAPI, base+"/api/v2/", "auth0_domain")
	c.derivedScopes(Auth0Scopes, "auth0_domain")
	// Auth0 names the API of a token with audience (one per sign-in), and
	// issues tokens for other APIs from the refresh token as the
	// application's refresh token policies allow.
	c.ResourceParameter = "audience"
	// Tenants without RP-initiated logout in their discovery end the
	// browser session at /v2/logout.
	c.EndSessionEndpoint = base + "/v2/logout"
	return nil
}

// deriveOkta derives the issuer of an Okta custom authorization server:
// ORG/oauth2/SERVER ("default" is the one every org has).
func deriveOkta(c *Config, value func(string) string) error {
	org, err := c.presetAddress("okta_org", value("okta_org"), "https://dev-123456.okta.com")
	if err != nil {
		return err
	}
	server, err := c.presetName("okta_auth_server", value("okta_auth_server"), "default")
	if err != nil {
		return err
	}
	c.derived("issuer", &c.Issuer, org+"/oauth2/"+server, "okta_org")
	c.derivedScopes(presetScopes, "okta_org")
	return nil
}

// deriveKeycloak derives the issuer of a Keycloak realm: URL/realms/REALM.
func deriveKeycloak(c *Config, value func(string) string) error {
	base, err := c.presetAddress("keycloak_url", value("keycloak_url"), "https://sso.example.com")
	if err != nil {
		return err
	}
	realm, err := c.presetName("keycloak_realm", value("keycloak_realm"), "myrealm")
	if err != nil {
		return err
	}
	c.derived("issuer", &c.Issuer, base+"/realms/"+realm, "keycloak_url")
	c.derivedScopes(presetScopes, "keycloak_url")
	return nil
}

// deriveEntra derives the issuer of a Microsoft Entra ID tenant's v2.0
// endpoints: AUTHORITY/TENANT/v2.0. The multi-tenant names are refused:
// their ID tokens name each person's own tenant as the issuer, which no
// one issuer can be checked against.
func deriveEntra(c *Config, value func(string) string) error {
	authority, err := c.presetAddress("entra_authority", value("entra_authority"), "https://login.microsoftonline.com")
	if err != nil {
		return err
	}
	tenant, err := c.presetName("entra_tenant", value("entra_tenant"), "contoso.onmicrosoft.com")
	if err != nil {
		return err
	}
	switch strings.ToLower(tenant) {
	case "common", "organizations", "consumers":
		return fmt.Errorf("%s: %q signs in people of many tenants, whose tokens Latch cannot check against one issuer: give your tenant's ID or domain", c.Origin("entra_tenant"), tenant)
	}
	c.derived("issuer", &c.Issuer, authority+"/"+tenant+"/v2.0", "entra_tenant")
	c.derivedScopes(presetScopes, "entra_tenant")
	return nil
}

// deriveGoogle sets up Google's installed-app client: its secret, sent
// with each token request, and the authorization parameters under which
// Google issues a refresh token (access_type=offline, and consent asked
// again so that a new sign-in gets one too). Google takes no
// offline_access scope.
func deriveGoogle(c *Config, value func(string) string) error {
	c.ClientSecret = value("google_client_secret")
	c.derived("issuer", &c.Issuer, googleIssuer, "google_client_secret")
	c.derivedScopes([]string{"openid", "profile", "email"}, "google_client_secret")
	c.AuthParams = url.Values{"access_type": {"offline"}, "prompt": {"consent"}}
	return nil
}

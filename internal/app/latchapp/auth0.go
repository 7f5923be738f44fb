package latchapp

import (
	"fmt"
	"strings"

	"github.com/latchapp/latch/profile"
)

// Auth0Scopes are the scopes the Auth0 preset asks for, and any provider
// with a metadata API when no scopes are configured: the session's own
// (who the person is, and a refresh token) and those of the Management
// API for the user's own record.
var Auth0Scopes = []string{"openid", "profile", "email", "offline_access",
	profile.ScopeReadCurrentUser, profile.ScopeUpdateCurrentUserMetadata}

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
	// Auth0 names the API of a token with audience (one per sign-in), and
	// issues tokens for other APIs from the refresh token as the
	// application's refresh token policies allow.
	c.ResourceParameter = "audience"
	// Tenants without RP-initiated logout in their discovery end the
	// browser session at /v2/logout.
	c.EndSessionEndpoint = base + "/v2/logout"
	return nil
}

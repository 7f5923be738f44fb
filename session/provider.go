package session

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Provider is what OpenID Connect discovery tells about an issuer: its
// endpoints and signing keys' location; see [Discover]. Endpoints a provider does not offer
// are empty.
type Provider struct {
	Issuer                      string   `json:"issuer"`
	AuthorizationEndpoint       string   `json:"authorization_endpoint"`
	TokenEndpoint               string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint string   `json:"device_authorization_endpoint"`
	RevocationEndpoint          string   `json:"revocation_endpoint"`
	UserinfoEndpoint            string   `json:"userinfo_endpoint"`
	EndSessionEndpoint          string   `json:"end_session_endpoint"`
	JWKSURI                     string   `json:"jwks_uri"`
	IDTokenSigningAlgs          []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethods        []string `json:"code_challenge_methods_supported"`
	ScopesSupported             []string `json:"scopes_supported"`
}

// maxDiscoveryBytes bounds the discovery document read.
const maxDiscoveryBytes = 1 << 20

// Discover fetches the discovery document of issuer
// (issuer + "/.well-known/openid-configuration") with client and checks
// it. A nil client means [http.DefaultClient]. It caches nothing: a
// [Manager] keeps the result for its own life.
//
// The document must name the same issuer and give the authorization, token
// and JWKS endpoints; errors are a [*DiscoveryError] that says what is
// wrong, and match [ErrProviderUnreachable] too when the document could
// not be fetched.
func Discover(ctx context.Context, client *http.Client, issuer string) (*Provider, error) {
	issuer = strings.TrimSuffix(issuer, "/")
	fail := func(problem string, err error) error {
		return &DiscoveryError{Issuer: issuer, Problem: problem, Err: err}
	}
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fail("the issuer is not an http(s) URL", nil)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return nil, fail("the issuer must use https (plain http is allowed on loopback only)", nil)
	}
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, fail("the request cannot be made", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fail("the provider cannot be reached", fmt.Errorf("%w: %w", ErrProviderUnreachable, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes))
	if err != nil {
		return nil, fail("the discovery document could not be read", fmt.Errorf("%w: %w", ErrProviderUnreachable, err))
	}
	if resp.StatusCode != http.StatusOK {
		var cause error
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			cause = ErrProviderUnreachable
		}
		return nil, fail("discovery answered "+resp.Status, cause)
	}
	var p Provider
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fail("the discovery document is not JSON", err)
	}
	if problem := p.check(issuer); problem != "" {
		return nil, fail(problem, nil)
	}
	return &p, nil
}

// check returns what makes p unusable for issuer, "" when nothing does.
func (p *Provider) check(issuer string) string {
	if strings.TrimSuffix(p.Issuer, "/") != issuer {
		return fmt.Sprintf("the discovery document names another issuer, %q", p.Issuer)
	}
	for _, e := range []struct{ name, value string }{
		{"authorization_endpoint", p.AuthorizationEndpoint},
		{"token_endpoint", p.TokenEndpoint},
		{"jwks_uri", p.JWKSURI},
	} {
		if e.value == "" {
			return "the discovery document has no " + e.name
		}
		if _, err := url.ParseRequestURI(e.value); err != nil {
			return e.name + " is not a URL"
		}
	}
	// Every endpoint is as safe as the issuer: https, unless the issuer
	// itself is plain http on this machine (and then on this machine too).
	for _, e := range []struct{ name, value string }{
		{"authorization_endpoint", p.AuthorizationEndpoint},
		{"token_endpoint", p.TokenEndpoint},
		{"jwks_uri", p.JWKSURI},
		{"device_authorization_endpoint", p.DeviceAuthorizationEndpoint},
		{"revocation_endpoint", p.RevocationEndpoint},
		{"userinfo_endpoint", p.UserinfoEndpoint},
		{"end_session_endpoint", p.EndSessionEndpoint},
	} {
		if e.value == "" {
			continue
		}
		if !SecureURL(e.value) || (strings.HasPrefix(issuer, "https:") && !strings.HasPrefix(e.value, "https:")) {
			return e.name + " is not https: tokens would travel in clear"
		}
	}
	if len(p.CodeChallengeMethods) > 0 && !slices.Contains(p.CodeChallengeMethods, "S256") {
		return "the provider does not support PKCE with S256"
	}
	return ""
}

// SecureURL reports whether u may carry tokens: https, or plain http to
// this machine only (a loopback IP literal, or exactly "localhost"). A
// host name that merely starts with "127." is not this machine.
func SecureURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	switch p.Scheme {
	case "https":
		return true
	case "http":
		return isLoopbackHost(p.Hostname())
	}
	return false
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

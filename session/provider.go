package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/latchapp/latch/base/secureurl"
)

// Provider is what OpenID Connect discovery tells about the issuer of a
// [Manager]: its endpoints and where its signing keys are. Endpoints a
// provider does not offer are empty. Get it with [Manager.Provider].
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

// providerProblem is a provider that cannot be used as configured: its
// discovery document, or what it offers. It matches [ErrClientRejected],
// or wraps [ErrProviderUnreachable] when the document could not be
// fetched. Its text is the problem alone, for an application to word.
type providerProblem struct {
	problem string
	err     error
}

func (e *providerProblem) Error() string {
	if e.err != nil && !errors.Is(e.err, ErrProviderUnreachable) {
		return e.problem + ": " + e.err.Error()
	}
	return e.problem
}

func (e *providerProblem) Is(target error) bool {
	return target == ErrClientRejected && !errors.Is(e.err, ErrProviderUnreachable)
}

func (e *providerProblem) Unwrap() error { return e.err }

// discover fetches the discovery document of issuer
// (issuer + "/.well-known/openid-configuration") with client and checks
// it: it must name the same issuer and give the authorization, token and
// JWKS endpoints, each as safe as the issuer.
func discover(ctx context.Context, client *http.Client, issuer string) (*Provider, error) {
	issuer = strings.TrimSuffix(issuer, "/")
	fail := func(problem string, err error) error { return &providerProblem{problem: problem, err: err} }
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fail("the issuer is not an http(s) URL", nil)
	}
	if u.Scheme == "http" && !secureurl.Loopback(u.Hostname()) {
		return nil, fail("the issuer must use https (plain http is allowed on loopback only)", nil)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, fail("the discovery request cannot be made", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if errors.Is(err, ErrClientRejected) {
		return nil, err // a redirect to another origin
	}
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
		return nil, fail("the discovery document is not JSON", nil)
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
		if !secureurl.Secure(e.value) || (strings.HasPrefix(issuer, "https:") && !strings.HasPrefix(e.value, "https:")) {
			return e.name + " is not https: tokens would travel in clear"
		}
	}
	if len(p.CodeChallengeMethods) > 0 && !slices.Contains(p.CodeChallengeMethods, "S256") {
		return "the provider does not support PKCE with S256"
	}
	return ""
}

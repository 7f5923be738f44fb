package session

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Provider is what OpenID Connect discovery tells about an issuer: its
// endpoints and signing keys' location. Endpoints a provider does not offer
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

// discovered caches providers per issuer for the life of the process.
var discovered sync.Map // issuer URL -> *Provider

// maxDiscoveryBytes bounds the discovery document read.
const maxDiscoveryBytes = 1 << 20

// Discover fetches the discovery document of issuer
// (issuer + "/.well-known/openid-configuration") with client, checks it and
// caches the result for the life of the process. A nil client means
// http.DefaultClient.
//
// The document must name the same issuer and give the authorization, token
// and JWKS endpoints; errors wrap ErrDiscovery and name what is wrong.
func Discover(ctx context.Context, client *http.Client, issuer string) (*Provider, error) {
	issuer = strings.TrimSuffix(issuer, "/")
	if p, ok := discovered.Load(issuer); ok {
		return p.(*Provider), nil
	}
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: issuer %q is not an http(s) URL", ErrDiscovery, issuer)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("%w: issuer %q must use https (plain http is allowed on loopback only)", ErrDiscovery, issuer)
	}
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDiscovery, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: issuer %s: %w: %w", ErrDiscovery, issuer, ErrProviderUnreachable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes))
	if err != nil {
		return nil, fmt.Errorf("%w: issuer %s: %w: %w", ErrDiscovery, issuer, ErrProviderUnreachable, err)
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("%w: issuer %s: discovery answered %s", ErrDiscovery, issuer, resp.Status)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			err = fmt.Errorf("%w: %w", err, ErrProviderUnreachable)
		}
		return nil, err
	}
	var p Provider
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: issuer %s: discovery document is not JSON: %w", ErrDiscovery, issuer, err)
	}
	if err := p.check(issuer); err != nil {
		return nil, err
	}
	actual, _ := discovered.LoadOrStore(issuer, &p)
	return actual.(*Provider), nil
}

func (p *Provider) check(issuer string) error {
	if strings.TrimSuffix(p.Issuer, "/") != issuer {
		return fmt.Errorf("%w: discovery of %s names another issuer, %q", ErrDiscovery, issuer, p.Issuer)
	}
	for name, v := range map[string]string{
		"authorization_endpoint": p.AuthorizationEndpoint,
		"token_endpoint":         p.TokenEndpoint,
		"jwks_uri":               p.JWKSURI,
	} {
		if v == "" {
			return fmt.Errorf("%w: discovery of %s has no %s", ErrDiscovery, issuer, name)
		}
		if _, err := url.ParseRequestURI(v); err != nil {
			return fmt.Errorf("%w: discovery of %s: %s is not a URL", ErrDiscovery, issuer, name)
		}
	}
	if len(p.CodeChallengeMethods) > 0 && !slices.Contains(p.CodeChallengeMethods, "S256") {
		return fmt.Errorf("%w: %s does not support PKCE with S256", ErrDiscovery, issuer)
	}
	return nil
}

func isLoopbackHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1" || strings.HasPrefix(host, "127.")
}

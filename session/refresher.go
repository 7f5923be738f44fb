package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// refresher makes refresh requests (RFC 6749 section 6) and turns the
// answers into new credentials: the session's own, with the refresh token
// kept when none comes back and a new ID token verified and held to the
// same subject; and named tokens for one API each (RFC 8707).
type refresher struct {
	clientID string
	http     *http.Client
	now      func() time.Time
	// resourceParam names the parameter that says which API a named token
	// is for: "resource" (RFC 8707) or "audience" (Auth0).
	resourceParam string
	// providerNow is the provider's time, for DPoP proofs.
	providerNow func() time.Time
	nonces      *dpopNonces
}

// client is the HTTP client for token requests: each carries a DPoP proof
// made with key, when one is given.
func (r refresher) client(key *dpopKey) *http.Client {
	if key == nil {
		return r.http
	}
	c := *r.http
	c.Transport = &proofTransport{base: r.http.Transport, key: key, nonces: r.nonces, now: r.providerNow}
	return &c
}

// grant spends refreshToken once, with the extra parameters given.
func (r refresher) grant(ctx context.Context, p *Provider, refreshToken string, key *dpopKey, extra url.Values) (*oauth2.Token, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
		"client_id":     {r.clientID},
	}
	for k, v := range extra {
		form[k] = v
	}
	return postToken(ctx, r.client(key), p.TokenEndpoint, form)
}

// refresh spends current's refresh token once for new session
// credentials. It neither stores nor publishes anything.
func (r refresher) refresh(ctx context.Context, p *Provider, verifier *verifier, current *Credentials, key *dpopKey) (*Credentials, error) {
	tok, err := r.grant(ctx, p, current.RefreshToken, key, nil)
	if err != nil {
		return nil, providerError("renewal", err)
	}
	renewed := credentialsFromToken(tok, r.now(), current)
	if err := checkTokenType(renewed.TokenType, key != nil); err != nil {
		return nil, fmt.Errorf("renewal: %w", err)
	}
	if renewed.IDToken != current.IDToken {
		claims, err := verifier.verify(ctx, renewed.IDToken, "")
		if err != nil {
			return nil, fmt.Errorf("renewal: %w", err)
		}
		if sub := current.subject(); sub != "" && claims.Subject != sub {
			return nil, fmt.Errorf("renewal: %w: the subject changed", ErrUnverified)
		}
	}
	return renewed, nil
}

// named spends current's refresh token once for a token for api. It
// returns the session's credentials with the refresh token that came back
// (rotated or not), and the named token itself.
func (r refresher) named(ctx context.Context, p *Provider, current *Credentials, key *dpopKey, api API) (session, named *Credentials, err error) {
	extra := url.Values{}
	if api.Audience != "" {
		extra.Set(r.resourceParam, api.Audience)
	}
	if len(api.Scopes) > 0 {
		extra.Set("scope", strings.Join(api.Scopes, " "))
	}
	tok, err := r.grant(ctx, p, current.RefreshToken, key, extra)
	if err != nil {
		err = providerError(opNamedToken, err)
		var pe *ProviderError
		if errors.As(err, &pe) && (pe.Code == "invalid_scope" || pe.Code == "invalid_target") {
			return nil, nil, fmt.Errorf("%w: the sign-in did not include this API: %w", ErrNotGranted, err)
		}
		return nil, nil, err
	}
	now := r.now()
	got := credentialsFromToken(tok, now, nil)
	if err := checkTokenType(got.TokenType, key != nil); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", opNamedToken, err)
	}
	session = current.clone()
	if got.RefreshToken != "" {
		session.RefreshToken, session.RefreshExpiry = got.RefreshToken, got.RefreshExpiry
	}
	named = &Credentials{
		AccessToken: got.AccessToken, TokenType: got.TokenType, Scope: got.Scope,
		Expiry: got.Expiry, ObtainedAt: now,
		SessionID: current.SessionID, KeyThumbprint: current.KeyThumbprint,
	}
	if named.Scope == "" {
		named.Scope = strings.Join(api.Scopes, " ")
	}
	return session, named, nil
}

// opNamedToken names a named-token request in errors.
const opNamedToken = "API token request"

// oauthConfig is the golang.org/x/oauth2 configuration for p.
func oauthConfig(clientID string, scopes []string, p *Provider, redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: clientID,
		Endpoint: oauth2.Endpoint{
			AuthURL:       p.AuthorizationEndpoint,
			TokenURL:      p.TokenEndpoint,
			DeviceAuthURL: p.DeviceAuthorizationEndpoint,
			AuthStyle:     oauth2.AuthStyleInParams,
		},
		RedirectURL: redirect,
		Scopes:      scopes,
	}
}

// withHTTPClient carries client to golang.org/x/oauth2.
func withHTTPClient(ctx context.Context, client *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, client)
}

package session

import (
	"context"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
)

// refresher makes one refresh request (RFC 6749 section 6) and turns the
// answer into new credentials: the refresh token kept when none comes
// back, a new ID token verified and held to the same subject.
type refresher struct {
	clientID string
	scopes   []string
	http     *http.Client
	clock    Clock
}

// refresh spends current's refresh token once. It neither stores nor
// publishes anything.
func (r refresher) refresh(ctx context.Context, p *Provider, verifier *Verifier, current *Credentials) (*Credentials, error) {
	conf := oauthConfig(r.clientID, r.scopes, p, "")
	tok, err := conf.TokenSource(withHTTPClient(ctx, r.http), &oauth2.Token{RefreshToken: current.RefreshToken}).Token()
	if err != nil {
		return nil, providerError("renewal", err)
	}
	renewed := credentialsFromToken(tok, r.clock.Now(), current)
	if err := checkTokenType(renewed.TokenType); err != nil {
		return nil, fmt.Errorf("renewal: %w", err)
	}
	if renewed.IDToken != current.IDToken {
		claims, err := verifier.Verify(ctx, renewed.IDToken, "")
		if err != nil {
			return nil, fmt.Errorf("renewal: %w", err)
		}
		if sub := current.Subject(); sub != "" && claims.Subject != sub {
			return nil, fmt.Errorf("renewal: %w: the subject changed", ErrInvalidIDToken)
		}
	}
	return renewed, nil
}

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

package sandboxserver

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// signingKey and publicKey adapt the state's RSA key.
type signingKey struct{ st *state }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.st.key }
func (k signingKey) ID() string                                  { return k.st.KeyID }

type publicKey struct{ st *state }

func (k publicKey) ID() string                         { return k.st.KeyID }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.st.key.PublicKey }

// SigningKey implements op.Storage.
func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return signingKey{s.st}, nil }

// SignatureAlgorithms implements op.Storage.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet implements op.Storage.
func (s *storage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{publicKey{s.st}}, nil }

// GetClientByClientID implements op.Storage. A token for an API (asked
// for with resource) is a JWT, which the API checks with the sandbox's
// published keys; the session's own tokens stay opaque.
func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	if clientID != ClientID {
		return nil, notFound{"client"}
	}
	return &client{loginURL: s.loginURL, jwt: extrasOf(ctx).resource != ""}, nil
}

// AuthorizeClientIDSecret implements op.Storage: the one client is public.
func (s *storage) AuthorizeClientIDSecret(context.Context, string, string) error {
	return errors.New("no confidential clients here")
}

// client is Latch's client registration.
type client struct {
	loginURL func(string) string
	jwt      bool // access tokens are JWTs
}

func (c *client) GetID() string                       { return ClientID }
func (c *client) RedirectURIs() []string              { return []string{"http://127.0.0.1/callback"} }
func (c *client) PostLogoutRedirectURIs() []string    { return []string{"http://127.0.0.1/signed-out"} }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeNative }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodNone }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeDeviceCode}
}
func (c *client) LoginURL(id string) string { return c.loginURL(id) }
func (c *client) AccessTokenType() op.AccessTokenType {
	if c.jwt {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}
func (c *client) IDTokenLifetime() time.Duration { return time.Hour }
func (c *client) DevMode() bool                  { return false }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed allows the Management API's scopes, and any API's scope
// of the form "resource:action" (orders:read): the sandbox takes every
// API a sign-in names.
func (c *client) IsScopeAllowed(scope string) bool {
	return scope == ScopeReadCurrentUser || scope == ScopeUpdateCurrentUserMD || apiScope().MatchString(scope)
}

var apiScope = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.-]+:[A-Za-z0-9_.*-]+$`) })

func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

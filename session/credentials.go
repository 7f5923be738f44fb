package session

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/latchapp/latch/base/apicheck"
)

// Credentials are what a sign-in or a renewal gives: the tokens and when
// they end. However they are printed (any verb of package fmt, [log/slog],
// JSON), no token shows: see [Credentials.Format] and
// [Credentials.MarshalJSON]. The store keeps them in an encoding of its
// own.
type Credentials struct {
	AccessToken  string
	TokenType    string
	IDToken      string
	RefreshToken string
	Scope        string
	// Expiry is when the access token ends, computed from expires_in when
	// the response arrived. Zero means the provider gave no lifetime.
	Expiry time.Time
	// RefreshExpiry is when the refresh token ends, when the provider says
	// so (refresh_expires_in, as Keycloak sends). Zero means unknown.
	RefreshExpiry time.Time
	// ObtainedAt is when these credentials were received.
	ObtainedAt time.Time
	// SessionID names the sign-in these credentials come from: renewals
	// keep it, a new sign-in changes it.
	SessionID string
	// KeyThumbprint is the JWK thumbprint (RFC 7638) of the key that the
	// tokens are bound to with DPoP (RFC 9449), "" when they are not.
	KeyThumbprint string
	// Resources are the APIs the sign-in asked for (RFC 8707 resource
	// indicators, [Config.APIs]): the ones a named token can be had for.
	// Nil when not known (credentials of an earlier release, or a provider
	// named with [Config.ResourceParameter] "audience", whose policies
	// decide).
	Resources []string
}

// stored is the encoding of Credentials in a [Store]: the only one that
// holds the tokens.
type stored struct {
	AccessToken   string    `json:"access_token"`
	TokenType     string    `json:"token_type,omitempty"`
	IDToken       string    `json:"id_token,omitempty"`
	RefreshToken  string    `json:"refresh_token,omitempty"`
	Scope         string    `json:"scope,omitempty"`
	Expiry        time.Time `json:"expiry,omitzero"`
	RefreshExpiry time.Time `json:"refresh_expiry,omitzero"`
	ObtainedAt    time.Time `json:"obtained_at"`
	SessionID     string    `json:"session,omitempty"`
	KeyThumbprint string    `json:"jkt,omitempty"`
	Resources     []string  `json:"resources,omitzero"`
}

// ValidFor reports whether the access token is present and still valid at
// now for at least minTTL. An access token without expiry is taken as
// valid.
func (c *Credentials) ValidFor(now time.Time, minTTL time.Duration) bool {
	if c == nil || c.AccessToken == "" {
		return false
	}
	return c.Expiry.IsZero() || now.Add(minTTL).Before(c.Expiry)
}

// CanRenew reports whether a refresh token is held and not known to have
// expired at now.
func (c *Credentials) CanRenew(now time.Time) bool {
	return c != nil && c.RefreshToken != "" && (c.RefreshExpiry.IsZero() || now.Before(c.RefreshExpiry))
}

// lifetime is the access token's lifetime as granted, 0 when unknown.
func (c *Credentials) lifetime() time.Duration {
	if c.Expiry.IsZero() || c.ObtainedAt.IsZero() {
		return 0
	}
	return c.Expiry.Sub(c.ObtainedAt)
}

// bound reports whether the access token is bound to a key with DPoP
// (RFC 9449): it is then sent with the "DPoP" scheme and a proof made
// with the key.
func (c *Credentials) bound() bool { return strings.EqualFold(c.TokenType, "dpop") }

// checkTokenType accepts, for a request without a DPoP proof, Bearer in
// any case or no type at all (taken as Bearer, as many providers omit it);
// for a request with a proof, DPoP only. A Bearer token in answer to a
// proof is a downgrade: the provider did not bind it to the key, and
// anyone who holds it could use it, which DPoP was turned on to prevent.
// checkReceived checks the tokens of a token response, as c holds them,
// before anything uses them: their type (see checkTokenType), and that
// each is printable ASCII, as RFC 6749 allows (VSCHAR, 0x20–0x7E). A
// token with a line break would add lines to whatever it is written
// into: git's credential protocol, an HTTP header, a kubeconfig.
func checkReceived(c *Credentials, proved bool) error {
	if err := checkTokenType(c.TokenType, proved); err != nil {
		return err
	}
	for _, t := range []struct{ name, value string }{
		{"an access token", c.AccessToken}, {"a refresh token", c.RefreshToken}, {"an ID token", c.IDToken}, {"a token type", c.TokenType},
	} {
		if i := strings.IndexFunc(t.value, func(r rune) bool { return r < 0x20 || r > 0x7e }); i >= 0 {
			return &providerProblem{problem: fmt.Sprintf("it issued %s holding a character no token may hold (%q at byte %d), which is refused", t.name, t.value[i:i+1], i), err: ErrMalformedAnswer}
		}
	}
	return nil
}

func checkTokenType(typ string, proved bool) error {
	switch {
	case proved && strings.EqualFold(typ, "dpop"):
		return nil
	case proved:
		return &providerProblem{problem: fmt.Sprintf("it answered a request proved with the DPoP key with a token of type %q, not bound to the key; DPoP is on, so the token is refused", typ)}
	case typ == "" || strings.EqualFold(typ, "bearer"):
		return nil
	}
	return &providerProblem{problem: fmt.Sprintf("it issued a token of the unsupported type %q", typ)}
}

// Claims returns the claims of the ID token, as verified when the token was
// received, or nil when there is no ID token.
func (c *Credentials) Claims() (map[string]any, error) {
	if c.IDToken == "" {
		return nil, nil
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(c.IDToken, claims); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnverified, err)
	}
	return claims, nil
}

// subject is the sub claim of the ID token, "" when there is none.
func (c *Credentials) subject() string {
	claims, err := c.Claims()
	if err != nil || claims == nil {
		return ""
	}
	sub, _ := claims["sub"].(string)
	return sub
}

// describe is what Format writes: the credentials without any token.
func (c Credentials) describe() string {
	return fmt.Sprintf("credentials{expiry: %s, refresh token: %t, scope: %q}",
		c.Expiry.Format(time.RFC3339), c.RefreshToken != "", c.Scope)
}

// Format writes the expiry, whether a refresh token is held and the
// scope, for every verb, so that nothing package fmt prints (%v, %+v,
// %#v, %s, %q, %x), nor what prints through it ([log/slog]'s text handler
// among them), shows a token.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.describe()) }

// MarshalJSON encodes what Format shows, never a token, so that
// credentials that end up in a JSON document (or a JSON log line) give
// nothing away.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Expiry       time.Time `json:"expiry,omitzero"`
		RefreshToken bool      `json:"refresh_token"`
		Scope        string    `json:"scope,omitempty"`
	}{c.Expiry, c.RefreshToken != "", c.Scope})
}

// oauth2Token is c as golang.org/x/oauth2 sees it, without the refresh
// token: the Manager alone renews.
func (c *Credentials) oauth2Token() *oauth2.Token {
	t := &oauth2.Token{
		AccessToken: c.AccessToken,
		TokenType:   c.TokenType,
		Expiry:      c.Expiry,
	}
	if c.IDToken != "" {
		t = t.WithExtra(map[string]any{"id_token": c.IDToken})
	}
	return t
}

func (c *Credentials) clone() *Credentials {
	if c == nil {
		return nil
	}
	cp := *c
	cp.Resources = slices.Clone(c.Resources)
	return &cp
}

// marshal is c in the store's encoding.
func (c *Credentials) marshal() ([]byte, error) { return json.Marshal(stored(*c)) }

func unmarshalCredentials(b []byte) (*Credentials, error) {
	var s stored
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: credentials: %w", ErrCorruptValue, err)
	}
	if s.AccessToken == "" && s.RefreshToken == "" {
		return nil, fmt.Errorf("%w: credentials hold no token", ErrCorruptValue)
	}
	c := Credentials(s)
	return &c, nil
}

// credentialsFromToken builds Credentials from a token response received at
// now. previous supplies the refresh token when a renewal returns none.
func credentialsFromToken(tok *oauth2.Token, now time.Time, previous *Credentials) *Credentials {
	c := &Credentials{
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		ObtainedAt:   now,
	}
	if tok.ExpiresIn > 0 {
		c.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	} else if !tok.Expiry.IsZero() {
		c.Expiry = tok.Expiry
	}
	if s, ok := tok.Extra("id_token").(string); ok {
		c.IDToken = s
	}
	if s, ok := tok.Extra("scope").(string); ok {
		c.Scope = s
	}
	if secs := extraSeconds(tok.Extra("refresh_expires_in")); secs > 0 {
		c.RefreshExpiry = now.Add(time.Duration(secs) * time.Second)
	}
	if previous != nil {
		if c.RefreshToken == "" {
			// The same refresh token goes on; refresh_expires_in, when
			// given, tells its new end.
			c.RefreshToken = previous.RefreshToken
			if c.RefreshExpiry.IsZero() {
				c.RefreshExpiry = previous.RefreshExpiry
			}
		}
		if c.IDToken == "" {
			c.IDToken = previous.IDToken
		}
		if c.Scope == "" {
			c.Scope = previous.Scope
		}
		c.SessionID, c.KeyThumbprint, c.Resources = previous.SessionID, previous.KeyThumbprint, previous.Resources
	}
	return c
}

func extraSeconds(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	case string:
		var i int64
		fmt.Sscan(n, &i)
		return i
	}
	return 0
}

// API says what a named token is for: one API, and the scopes asked of
// it. Declare the APIs a program calls in [Config.APIs].
type API struct {
	// Audience names the API: its resource indicator (RFC 8707), an
	// absolute URI, or with [Config.ResourceParameter] "audience" its
	// Auth0 API identifier.
	Audience string
	// Scopes are asked for the token; empty means all that the grant
	// holds for the API.
	Scopes []string
}

// check says what is wrong with api, declared under name, for a provider
// that takes the parameter param ([Config.ResourceParameter]).
func (api API) check(name, param string) error { return apicheck.Check(name, api.Audience, param) }

// equal reports whether api and o ask for the same audience and scopes.
func (api API) equal(o API) bool {
	if api.Audience != o.Audience || len(api.Scopes) != len(o.Scopes) {
		return false
	}
	if slices.Equal(api.Scopes, o.Scopes) {
		return true // the usual case, without a copy
	}
	a, b := slices.Clone(api.Scopes), slices.Clone(o.Scopes)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

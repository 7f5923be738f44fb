package latchapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchapp/latch/session"
)

// Kinds of [Token].
const (
	KindAccess = "access_token"
	KindID     = "id_token"
)

// The names of the account's own tokens where they are listed beside
// named tokens (the uses the agent records, latch status's confirm list):
// a named token is listed by its name.
const (
	OwnAccessToken = "access token"
	OwnIDToken     = "ID token"
)

// Token is a token as Latch hands it to another program (latch token
// prints it, the agent sends it): never a refresh token.
type Token struct {
	// Kind is [KindAccess] or [KindID].
	Kind  string `json:"kind"`
	Token string `json:"token"`
	// Type is the access token's type (Bearer, DPoP); none for an ID
	// token.
	Type     string    `json:"token_type,omitempty"`
	Expiry   time.Time `json:"expiry,omitzero"`
	Scopes   []string  `json:"scopes"`
	Audience string    `json:"audience,omitempty"`
	// Warning, when set, is what the person should know of the token,
	// said beside it (on stderr by latch token): it is the one held,
	// still valid, because its renewal failed for now; or it lives less
	// than the time asked for. It is never part of the token's output.
	Warning string `json:"warning,omitempty"`
}

// TokenRequest says which token [Account.Token] returns.
type TokenRequest struct {
	// Name is the named token's name; empty for the session's own.
	Name string `json:"name,omitempty"`
	// MinTTL is how long the token must stay valid at least: one that
	// expires sooner is renewed first.
	MinTTL time.Duration `json:"min_ttl"`
	// IDToken asks for the session's ID token instead of its access
	// token.
	IDToken bool `json:"id_token,omitempty"`
}

// Token returns the token r names, renewed first when it expires within
// r.MinTTL. A name that is neither declared nor held is a [*ConfigError].
//
// When the renewal fails for a reason that passes (the provider cannot be
// reached, is overloaded or answered what cannot be read), the token held
// is returned while it has not expired, with a [Token.Warning] saying so,
// as kubelogin and gh serve a cached token; never once it has expired.
func (a *Account) Token(ctx context.Context, r TokenRequest) (Token, error) {
	t, err := a.token(ctx, r, r.MinTTL)
	if errors.Is(err, session.ErrProviderUnreachable) {
		// The token held, from memory or the keychain, if it is still
		// valid: asked for as valid for no time at all, it is not renewed
		// again (the retry is not due), nor given once expired.
		if held, heldErr := a.token(ctx, r, 0); heldErr == nil && time.Now().Before(held.Expiry) {
			held.Warning = sentence(fmt.Sprintf("The token could not be renewed (%s), so the one held is given: it expires in %s",
				strings.TrimSuffix(Describe(err), "."), time.Until(held.Expiry).Round(time.Second)))
			return held, nil
		}
		return Token{}, err
	}
	if err == nil && !t.Expiry.IsZero() && time.Until(t.Expiry) < r.MinTTL {
		t.Warning = fmt.Sprintf("The token lives %s, less than the %s asked for, so each request renews it: ask for less (latch token --min-ttl).",
			time.Until(t.Expiry).Round(time.Second), r.MinTTL)
	}
	return t, err
}

// token is [Account.Token] of r, renewed when it expires within minTTL.
func (a *Account) token(ctx context.Context, r TokenRequest, minTTL time.Duration) (Token, error) {
	if r.Name != "" {
		if r.IDToken {
			return Token{}, &ConfigError{Msg: "an ID token is the session's: a named token is an access token for one API"}
		}
		audience, err := a.KnownAPI(ctx, r.Name)
		if err != nil {
			return Token{}, err
		}
		creds, err := a.Manager.NamedToken(r.Name).Credentials(ctx, minTTL)
		if errors.Is(err, session.ErrNotGranted) {
			// Said with this account's table and sign-in, whether the API
			// is declared there already or was given with --audience.
			return Token{}, &DescribedError{Kind: err, Text: fmt.Sprintf(
				"The sign-in did not ask for the API %s, so the provider will not issue a token for it. Declare it in the config file (%s with its audience and scopes) if it is not, and sign in again with %s.",
				Printable(r.Name), a.Config.apiTable(Printable(r.Name)), a.Config.loginCommand())}
		}
		if err != nil {
			return Token{}, err
		}
		return accessToken(creds, audience), nil
	}
	creds, err := a.Manager.Credentials(ctx, minTTL)
	if err != nil {
		return Token{}, err
	}
	if !r.IDToken {
		return accessToken(creds, a.Config.Audience), nil
	}
	t, err := idToken(creds)
	if err == nil && time.Until(t.Expiry) < minTTL {
		// The ID token expires sooner than asked: a renewal brings a new
		// one, from providers that send one with each refresh (one that
		// lives less than minTTL is given as it comes, as an access token
		// is).
		if creds, err = a.Manager.Renew(ctx); err == nil {
			t, err = idToken(creds)
		}
	}
	return t, err
}

// Due says whether [Account.Token] would ask the provider for the token
// r names: it is held but expires within r.MinTTL, or it is a named token
// not held yet. It reads memory and the keychain only; nobody signed in
// is not due (there is nothing to renew).
func (a *Account) Due(ctx context.Context, r TokenRequest) (bool, error) {
	creds, err := a.Manager.Held(ctx)
	if errors.Is(err, session.ErrNoCredentials) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	now := time.Now()
	if r.Name != "" {
		list, err := a.Manager.Tokens(ctx)
		if err != nil {
			return false, err
		}
		for _, t := range list {
			if t.Name == r.Name {
				return !t.Expiry.IsZero() && t.Expiry.Sub(now) < r.MinTTL, nil
			}
		}
		return true, nil
	}
	if !creds.ValidFor(now, r.MinTTL) {
		return creds.CanRenew(now), nil
	}
	if r.IDToken {
		t, err := idToken(creds)
		return err == nil && t.Expiry.Sub(now) < r.MinTTL, nil
	}
	return false, nil
}

// Header returns the header lines that authorize one request of method
// to target with the named token name, or the session's own when name is
// empty (see [session.Manager.Header]).
func (a *Account) Header(ctx context.Context, name, method, target string) (http.Header, error) {
	if name == "" {
		return a.Manager.Header(ctx, method, target)
	}
	if _, err := a.KnownAPI(ctx, name); err != nil {
		return nil, err
	}
	return a.Manager.NamedToken(name).Header(ctx, method, target)
}

// KnownAPI returns the audience of the API name: as the configuration
// declares it, else as the keychain holds its token. A name that is
// neither is a [*ConfigError].
func (a *Account) KnownAPI(ctx context.Context, name string) (audience string, err error) {
	if api, ok := a.Config.APIs[name]; ok {
		return api.Audience, nil
	}
	list, err := a.Manager.Tokens(ctx)
	if err != nil {
		return "", err
	}
	for _, t := range list {
		if t.Name == name {
			return t.Audience, nil
		}
	}
	n := Printable(name)
	return "", &ConfigError{Msg: fmt.Sprintf("no API is declared under the name %s: declare it in the config file (%s with its audience and scopes), or give its audience with --audience", n, a.Config.apiTable(n))}
}

// apiTable is the config file's table that declares the API name for
// this account.
func (c Config) apiTable(name string) string {
	if c.AccountName() == DefaultAccount {
		return "[apis." + name + "]"
	}
	return "[accounts." + c.Account + ".apis." + name + "]"
}

// loginCommand is the command that signs in to this account.
func (c Config) loginCommand() string {
	if c.AccountName() == DefaultAccount {
		return "latch login"
	}
	return "latch login --account " + c.Account
}

// accessToken is creds' access token, for audience.
func accessToken(creds *session.Credentials, audience string) Token {
	return Token{Kind: KindAccess, Token: creds.AccessToken, Type: creds.TokenType, Expiry: creds.Expiry,
		Scopes: strings.Fields(creds.Scope), Audience: audience}
}

// idToken is creds' ID token, with its expiry and audience from its
// claims (as verified when it was received).
func idToken(creds *session.Credentials) (Token, error) {
	claims, err := creds.Claims()
	if err != nil {
		return Token{}, err
	}
	if claims == nil {
		return Token{}, ErrNoIDToken
	}
	t := Token{Kind: KindID, Token: creds.IDToken, Scopes: strings.Fields(creds.Scope)}
	if exp, ok := claims["exp"].(float64); ok {
		t.Expiry = time.Unix(int64(exp), 0)
	}
	switch aud := claims["aud"].(type) {
	case string:
		t.Audience = aud
	case []any:
		for _, v := range aud {
			if s, ok := v.(string); ok {
				t.Audience = strings.TrimSpace(t.Audience + " " + s)
			}
		}
	}
	return t, nil
}

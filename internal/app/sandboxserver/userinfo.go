package sandboxserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

func (s *storage) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	a, ok := accountBySubject(subject)
	if !ok {
		return notFound{"user"}
	}
	info.Subject = subject
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeProfile:
			info.Name, info.GivenName, info.FamilyName = a.Name, a.GivenName, a.FamilyName
			info.PreferredUsername, info.Nickname = a.Username, a.Username
			info.Picture = s.pictureURL(a.Username)
			info.UpdatedAt = oidc.FromTime(time.Unix(0, 0))
		case oidc.ScopeEmail:
			info.Email, info.EmailVerified = a.Email, oidc.Bool(a.EmailVerified)
		}
	}
	return nil
}

// pictureURL is where the sandbox serves the account's avatar.
func (s *storage) pictureURL(username string) string {
	return s.issuer + "/avatars/" + username + ".png"
}

// SetUserinfoFromScopes implements op.Storage (claims of the ID token).
func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, userID, _ string, scopes []string) error {
	return s.setUserinfo(info, userID, scopes)
}

// accessTokenByID returns a live access token.
func (s *storage) accessTokenByID(id string) (*accessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.st.Access[id]
	if !ok || s.now().After(at.Expiry) {
		return nil, errors.New("access token is invalid or expired")
	}
	if _, ok := s.st.Grants[at.GrantID]; !ok {
		return nil, errors.New("access token was revoked")
	}
	cp := *at
	return &cp, nil
}

// SetUserinfoFromToken implements op.Storage (the userinfo endpoint).
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	at, err := s.accessTokenByID(tokenID)
	if err != nil {
		return err
	}
	if at.Subject != subject {
		return errors.New("access token subject mismatch")
	}
	return s.setUserinfo(info, at.Subject, at.Scopes)
}

// SetIntrospectionFromToken implements op.Storage.
func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	at, err := s.accessTokenByID(tokenID)
	if err != nil || at.Subject != subject {
		return fmt.Errorf("token is not active")
	}
	info := new(oidc.UserInfo)
	if err := s.setUserinfo(info, at.Subject, at.Scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope = at.Scopes
	resp.ClientID = at.ClientID
	resp.Expiration = oidc.FromTime(at.Expiry)
	resp.Active = true
	return nil
}

// GetPrivateClaimsFromScopes implements op.Storage: no private claims.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest implements op.CanGetPrivateClaimsFromRequest:
// the JWT access token of an API carries its scopes (RFC 9068) and, when
// bound, the thumbprint of its DPoP key (RFC 9449 section 6.1).
func (s *storage) GetPrivateClaimsFromRequest(ctx context.Context, req op.TokenRequest, scopes []string) (map[string]any, error) {
	claims := map[string]any{"scope": strings.Join(scopes, " ")}
	if jkt := extrasOf(ctx).proofJKT; jkt != "" {
		claims["cnf"] = map[string]string{"jkt": jkt}
	}
	return claims, nil
}

// GetKeyByIDAndClientID implements op.Storage: no JWT client assertions.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT profile is not supported")
}

// ValidateJWTProfileScopes implements op.Storage: no JWT profile grants.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile is not supported")
}

// Health implements op.Storage.
func (s *storage) Health(context.Context) error { return nil }

// Package profile reads who is signed in: the claims of the ID token and
// the provider's userinfo endpoint. It builds on package session and, like
// it, knows nothing of any user interface.
//
//	creds, _ := m.Credentials(ctx, time.Minute)
//	p, _ := profile.FromCredentials(creds)
//	fmt.Println("Signed in as", p.DisplayName())
package profile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"latch/session"
)

// Profile is what a provider says about the signed-in person, from the
// standard OpenID Connect claims.
type Profile struct {
	Subject       string `json:"sub"`
	Name          string `json:"name,omitempty"`
	GivenName     string `json:"given_name,omitempty"`
	FamilyName    string `json:"family_name,omitempty"`
	Nickname      string `json:"nickname,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	Picture       string `json:"picture,omitempty"`
	Issuer        string `json:"iss,omitempty"`
}

// ErrNoProfile means the credentials carry no ID token to read a profile
// from.
var ErrNoProfile = errors.New("profile: no ID token in the credentials")

// FromClaims reads a Profile from a set of claims. Claims of the wrong
// type are ignored.
func FromClaims(claims map[string]any) Profile {
	str := func(k string) string { s, _ := claims[k].(string); return s }
	p := Profile{
		Subject:    str("sub"),
		Name:       str("name"),
		GivenName:  str("given_name"),
		FamilyName: str("family_name"),
		Nickname:   str("nickname"),
		Email:      str("email"),
		Picture:    str("picture"),
		Issuer:     str("iss"),
	}
	switch v := claims["email_verified"].(type) {
	case bool:
		p.EmailVerified = v
	case string: // some providers send "true"
		p.EmailVerified = v == "true"
	}
	return p
}

// FromCredentials reads the profile from the ID token of creds, as it was
// verified when received. It needs no network.
func FromCredentials(creds *session.Credentials) (Profile, error) {
	claims, err := creds.Claims()
	if err != nil {
		return Profile{}, fmt.Errorf("profile: %w", err)
	}
	if claims == nil {
		return Profile{}, ErrNoProfile
	}
	return FromClaims(claims), nil
}

// DisplayName is the best name to show: the full name, else given and
// family name, else nickname, else email, else the subject.
func (p Profile) DisplayName() string {
	for _, s := range []string{p.Name, strings.TrimSpace(p.GivenName + " " + p.FamilyName), p.Nickname, p.Email, p.Subject} {
		if s != "" {
			return s
		}
	}
	return "Unknown"
}

// Initials are up to two letters for an avatar without a picture.
func (p Profile) Initials() string {
	var out []rune
	for _, word := range strings.Fields(p.DisplayName()) {
		for _, r := range word {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// Merge returns p with the non-empty fields of other laid over it. The
// subject and issuer are kept.
func (p Profile) Merge(other Profile) Profile {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&p.Name, other.Name)
	set(&p.GivenName, other.GivenName)
	set(&p.FamilyName, other.FamilyName)
	set(&p.Nickname, other.Nickname)
	set(&p.Email, other.Email)
	set(&p.Picture, other.Picture)
	if other.Email != "" {
		p.EmailVerified = other.EmailVerified
	}
	return p
}

// ErrSubjectMismatch means the userinfo endpoint answered for another
// person than the ID token names (OpenID Connect Core, section 5.3.2).
var ErrSubjectMismatch = errors.New("profile: userinfo is about another subject")

// UserInfo fetches the profile from the provider's userinfo endpoint with
// the access token of creds, using client (nil: http.DefaultClient), and
// lays it over the ID token's profile. The answer must be about the same
// subject as the ID token.
func UserInfo(ctx context.Context, client *http.Client, endpoint string, creds *session.Credentials) (Profile, error) {
	base, err := FromCredentials(creds)
	if err != nil && !errors.Is(err, ErrNoProfile) {
		return Profile{}, err
	}
	if endpoint == "" {
		return Profile{}, errors.New("profile: the provider has no userinfo endpoint")
	}
	a, err := authorized(ctx, client, creds, "userinfo", http.MethodGet, endpoint, nil)
	if err != nil {
		return Profile{}, err
	}
	if a.status != http.StatusOK {
		return Profile{}, fmt.Errorf("profile: userinfo answered %s", a.text)
	}
	var claims map[string]any
	if err := json.Unmarshal(a.body, &claims); err != nil {
		return Profile{}, fmt.Errorf("profile: userinfo is not JSON: %w", err)
	}
	info := FromClaims(claims)
	if info.Subject == "" || (base.Subject != "" && info.Subject != base.Subject) {
		return Profile{}, ErrSubjectMismatch
	}
	if base.Subject == "" {
		return info, nil
	}
	return base.Merge(info), nil
}

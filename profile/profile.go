// Package profile reads who is signed in and their user metadata: the
// claims of the ID token, the provider's userinfo endpoint, and
// user_metadata through the Auth0 Management API shape. Its network calls
// take an authorizing *http.Client, such as a session Manager's Client or
// any oauth2 client; it knows nothing of any user interface.
//
//	claims, _ := creds.Claims()
//	p := profile.FromClaims(claims)
//	info, err := profile.UserInfo(ctx, m.Client(ctx), provider.UserinfoEndpoint, p.Subject)
//	fmt.Println("Signed in as", p.Merge(info).DisplayName())
package profile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
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

// FromClaims reads a [Profile] from a set of claims, such as a verified ID
// token's. Claims of the wrong type are ignored.
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
var ErrSubjectMismatch = errors.New("userinfo is about another subject")

// ErrNoUserInfo means the provider has no userinfo endpoint.
var ErrNoUserInfo = errors.New("the provider has no userinfo endpoint")

// UserInfo fetches the profile from the provider's userinfo endpoint with
// client, which authorizes the request (a session Manager's Client). The
// answer must be about subject, the ID token's sub; lay it over the ID
// token's profile with [Profile.Merge].
func UserInfo(ctx context.Context, client *http.Client, endpoint, subject string) (Profile, error) {
	if endpoint == "" {
		return Profile{}, ErrNoUserInfo
	}
	a, err := send(ctx, client, "userinfo", http.MethodGet, endpoint, nil)
	if err != nil {
		return Profile{}, err
	}
	if a.status != http.StatusOK {
		return Profile{}, &APIError{API: "userinfo endpoint", StatusCode: a.status}
	}
	var claims map[string]any
	if err := json.Unmarshal(a.body, &claims); err != nil {
		return Profile{}, fmt.Errorf("userinfo: the answer is not JSON: %w", err)
	}
	info := FromClaims(claims)
	if info.Subject == "" || info.Subject != subject {
		return Profile{}, ErrSubjectMismatch
	}
	return info, nil
}

package profile_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

func TestFromClaimsAndNames(t *testing.T) {
	p := profile.FromClaims(map[string]any{"sub": "s1", "given_name": "ada", "family_name": "lovelace", "email_verified": "true", "email": "a@x"})
	if p.DisplayName() != "ada lovelace" || p.Initials() != "AL" || !p.EmailVerified {
		t.Fatalf("got %+v named %q with initials %q, want ada lovelace, AL, verified", p, p.DisplayName(), p.Initials())
	}
	for _, tc := range []struct {
		p    profile.Profile
		want string
	}{
		{profile.Profile{Subject: "auth0|123"}, "A"},
		{profile.Profile{}, "U"},
		{profile.Profile{Name: "  "}, "?"},
	} {
		if got := tc.p.Initials(); got != tc.want {
			t.Errorf("initials of %+v: got %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestUserInfoFromRealProvider(t *testing.T) {
	signed := sessiontest.SignIn(t, "alice", func(c *session.Config) { c.ManualRenewal = true })
	m, creds := signed.Manager, signed.Creds
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	claims, err := creds.Claims()
	if err != nil {
		t.Fatal(err)
	}
	fromToken := profile.FromClaims(claims)
	if fromToken.Subject != "alice" || fromToken.Name != "Alice Liddell" || fromToken.Email != "alice@example.test" || !fromToken.EmailVerified {
		t.Fatalf("ID token profile %+v, want Alice Liddell with a verified alice@example.test", fromToken)
	}
	p, _ := m.Provider(ctx)
	info, err := profile.UserInfo(ctx, m.Client(ctx), p.UserinfoEndpoint, fromToken.Subject)
	if err != nil {
		t.Fatal(err)
	}
	if info.Subject != "alice" || info.Picture != "https://example.test/alice.png" || info.FamilyName != "Liddell" {
		t.Fatalf("userinfo profile %+v, want alice's picture and family name", info)
	}
	forged := oauth2.NewClient(context.Background(), staticToken("forged"))
	var apiErr *profile.APIError
	if _, err := profile.UserInfo(ctx, forged, p.UserinfoEndpoint, "alice"); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a forged access token gave %v, want a 401 API error", err)
	}
	if err := m.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := profile.UserInfo(ctx, m.Client(ctx), p.UserinfoEndpoint, "alice"); !errors.Is(err, session.ErrNoCredentials) || errors.Is(err, session.ErrProviderUnreachable) {
		t.Fatalf("signed out, userinfo gave %v, want ErrNoCredentials and not unreachable", err)
	}
}

func TestUserInfoRejectsAnotherSubject(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"sub":"mallory","name":"Mallory"}`))
	}))
	defer srv.Close()
	client := oauth2.NewClient(context.Background(), staticToken("a"))
	if _, err := profile.UserInfo(context.Background(), client, srv.URL, "alice"); !errors.Is(err, profile.ErrSubjectMismatch) {
		t.Fatalf("got %v, want ErrSubjectMismatch", err)
	}
}

func TestUnreachableIsSaidSo(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	client := oauth2.NewClient(context.Background(), staticToken("a"))
	if _, err := profile.UserInfo(context.Background(), client, url, "alice"); !errors.Is(err, session.ErrProviderUnreachable) {
		t.Fatalf("a closed port gave %v, want ErrProviderUnreachable", err)
	}
	md := &profile.MetadataClient{BaseURL: url + "/api/v2/", HTTP: client}
	if _, err := md.Get(context.Background(), "alice"); !errors.Is(err, session.ErrProviderUnreachable) {
		t.Fatalf("a closed port gave %v, want ErrProviderUnreachable", err)
	}
}

func TestMetadataTokenIsNeverSentInClear(t *testing.T) {
	sent := false
	client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		sent = true
		return nil, errors.New("unexpected request")
	})}
	md := &profile.MetadataClient{BaseURL: "http://api.example.test/api/v2/", HTTP: client}
	if _, err := md.Get(context.Background(), "alice"); err == nil || sent {
		t.Fatalf("a plain-http metadata API gave %v (request sent: %t), want it refused before anything is sent", err, sent)
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

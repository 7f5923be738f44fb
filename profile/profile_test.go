package profile_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"latch/internal/sessiontest"
	"latch/profile"
	"latch/session"
)

func TestFromClaimsAndNames(t *testing.T) {
	p := profile.FromClaims(map[string]any{"sub": "s1", "given_name": "ada", "family_name": "lovelace", "email_verified": "true", "email": "a@x"})
	if p.DisplayName() != "ada lovelace" || p.Initials() != "AL" || !p.EmailVerified {
		t.Fatalf("%+v %q %q", p, p.DisplayName(), p.Initials())
	}
	if got := (profile.Profile{Subject: "auth0|123"}).Initials(); got != "A" {
		t.Errorf("initials of a bare subject: %q", got)
	}
	if got := (profile.Profile{}).Initials(); got != "U" {
		t.Errorf("initials of nothing: %q", got)
	}
}

func TestUserInfoFromRealProvider(t *testing.T) {
	signed := sessiontest.SignIn(t, "alice", func(c *session.Config) { c.ManualRenewal = true })
	m, creds := signed.Manager, signed.Creds
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fromToken, err := profile.FromCredentials(creds)
	if err != nil {
		t.Fatal(err)
	}
	if fromToken.Subject != "alice" || fromToken.Name != "Alice Liddell" || fromToken.Email != "alice@example.test" || !fromToken.EmailVerified {
		t.Fatalf("ID token profile %+v", fromToken)
	}
	p, _ := m.Provider(ctx)
	info, err := profile.UserInfo(ctx, nil, p.UserinfoEndpoint, creds)
	if err != nil {
		t.Fatal(err)
	}
	if info.Subject != "alice" || info.Picture != "https://example.test/alice.png" || info.FamilyName != "Liddell" {
		t.Fatalf("userinfo profile %+v", info)
	}
	bad := *creds
	bad.AccessToken = "forged"
	if _, err := profile.UserInfo(ctx, nil, p.UserinfoEndpoint, &bad); err == nil {
		t.Fatal("a forged access token got a profile")
	}
}

func TestUserInfoRejectsAnotherSubject(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"sub":"mallory","name":"Mallory"}`))
	}))
	defer srv.Close()
	// An unsigned ID token is fine here: FromCredentials reads claims that
	// the session package verified on receipt.
	creds := &session.Credentials{AccessToken: "a", IDToken: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."}
	if _, err := profile.UserInfo(context.Background(), srv.Client(), srv.URL, creds); !errors.Is(err, profile.ErrSubjectMismatch) {
		t.Fatalf("want ErrSubjectMismatch, got %v", err)
	}
}

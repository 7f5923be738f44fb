package sandboxserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

// proof is a DPoP proof made with a key of the test's own.
func proof(t *testing.T, key *ecdsa.PrivateKey, method, target string) string {
	t.Helper()
	pub, _ := key.PublicKey.Bytes()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"jti": base64.RawURLEncoding.EncodeToString(pub[1:17]) + time.Now().Format(time.RFC3339Nano),
		"htm": method, "htu": target, "iat": time.Now().Unix(),
	})
	tok.Header["typ"] = "dpop+jwt"
	tok.Header["jwk"] = map[string]string{"kty": "EC", "crv": "P-256",
		"x": base64.RawURLEncoding.EncodeToString(pub[1:33]), "y": base64.RawURLEncoding.EncodeToString(pub[33:])}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// refreshWithProof spends token at the sandbox with a DPoP proof and
// returns the OAuth error code, "" on success.
func refreshWithProof(t *testing.T, srv *sandboxserver.Server, token, dpop string) string {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}, "client_id": {sandboxserver.ClientID}}
	req, _ := http.NewRequest(http.MethodPost, srv.Issuer()+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", dpop)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct{ Error string }
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	return answer.Error
}

func TestSandboxEnforcesDPoPBinding(t *testing.T) {
	srv := start(t, "")
	m, creds := signInWith(t, srv, "demo", "demo", func(c *session.Config) { c.DPoP = true })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if !strings.EqualFold(creds.TokenType, "DPoP") {
		t.Fatalf("the token type is %q; want DPoP", creds.TokenType)
	}

	// The Management API takes the bound token with its proof, through the
	// session's client, and refuses it as a bearer token.
	md := &profile.MetadataClient{BaseURL: srv.MetadataAPI(), HTTP: m.Client(ctx)}
	if _, err := md.Get(ctx, subjectOf(t, creds)); err != nil {
		t.Fatalf("the Management API with a DPoP token: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.MetadataAPI()+"users/"+url.PathEscape(subjectOf(t, creds)), nil)
	req.Header.Set("Authorization", "Bearer "+creds.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "DPoP") {
		t.Fatalf("a bound token sent as Bearer answered %d %q; want 401 with a DPoP challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	// The refresh token is bound: a proof of another key is refused, and a
	// proof is good once.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := proof(t, other, http.MethodPost, srv.Issuer()+"/oauth/token")
	if code := refreshWithProof(t, srv, creds.RefreshToken, p); code != "invalid_grant" {
		t.Fatalf("the bound refresh token with another key's proof answered %q; want invalid_grant", code)
	}
	if code := refreshWithProof(t, srv, creds.RefreshToken, p); code != "invalid_dpop_proof" {
		t.Fatalf("a replayed proof answered %q; want invalid_dpop_proof", code)
	}
	if code := refreshWithProof(t, srv, creds.RefreshToken, proof(t, other, http.MethodPost, srv.Issuer()+"/elsewhere")); code != "invalid_dpop_proof" {
		t.Fatalf("a proof for another address answered %q; want invalid_dpop_proof", code)
	}
	// None of that touched the session.
	if _, err := m.Renew(ctx); err != nil {
		t.Fatalf("renewing with the right key after refused attempts: %v", err)
	}
}

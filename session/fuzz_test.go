package session

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzCallback sends the loopback listener any query: only the one with
// the sign-in's state may reach the sign-in, and nothing panics.
func FuzzCallback(f *testing.F) {
	f.Add("state=s3cret&code=abc")
	f.Add("state=wrong&code=abc")
	f.Add("error=access_denied&error_description=%1b%5D0%3Bx&state=s3cret")
	f.Add("state=s3cret&iss=http%3A%2F%2Fevil")
	f.Add("state=s3cret&state=other&code=%00")
	f.Add("%zz=%")
	f.Fuzz(func(t *testing.T, query string) {
		results := make(chan callbackResult, 1)
		h := &callbackHandler{state: "s3cret", issuer: "http://127.0.0.1:1", results: results}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the browser does not wait for the outcome
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/callback", nil)
		r.URL.RawQuery = query
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		select {
		case res := <-results:
			if r.URL.Query().Get("state") != "s3cret" {
				t.Fatalf("query %q reached the sign-in without its state", query)
			}
			if res.code == "" && res.err == nil {
				t.Fatalf("query %q gave neither a code nor an error", query)
			}
		default:
			if w.Code != http.StatusBadRequest && w.Code != http.StatusGone {
				t.Fatalf("query %q was answered %d, want 400 for a foreign callback", query, w.Code)
			}
		}
	})
}

// staticKeys is a keySet of fixed keys.
type staticKeys []crypto.PublicKey

func (s staticKeys) VerificationKeys(context.Context, string, string) ([]crypto.PublicKey, error) {
	return s, nil
}

// FuzzVerifyIDToken gives the verifier any string as an ID token: none is
// accepted (no key signed it), and nothing panics. The claims reader of
// Credentials must not panic either.
func FuzzVerifyIDToken(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.")
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")
	f.Add("a.b.c")
	f.Add("....")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		v := newVerifier(staticKeys{&key.PublicKey}, verifierConfig{Issuer: "https://id.test", ClientID: "c"})
		if claims, err := v.verify(context.Background(), raw, ""); err == nil {
			t.Fatalf("%q was accepted as an ID token: %+v", raw, claims)
		}
		_, _ = (&Credentials{IDToken: raw}).Claims()
	})
}

// FuzzDiscoveryDocument checks any document: it never panics, and a
// document it accepts for an https issuer names https endpoints only.
func FuzzDiscoveryDocument(f *testing.F) {
	f.Add(`{"issuer":"https://id.test","authorization_endpoint":"https://id.test/a","token_endpoint":"https://id.test/t","jwks_uri":"https://id.test/k"}`)
	f.Add(`{"issuer":"https://id.test","authorization_endpoint":"https://id.test/a","token_endpoint":"http://evil/t","jwks_uri":"https://id.test/k"}`)
	f.Add(`{"issuer":"https://id.test","code_challenge_methods_supported":["plain"]}`)
	f.Add(`[]`)
	f.Add(`{"issuer":null}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var p Provider
		if json.Unmarshal([]byte(doc), &p) != nil {
			return
		}
		if p.check("https://id.test") != "" {
			return
		}
		for _, u := range []string{p.AuthorizationEndpoint, p.TokenEndpoint, p.JWKSURI, p.RevocationEndpoint, p.UserinfoEndpoint, p.DeviceAuthorizationEndpoint, p.EndSessionEndpoint} {
			if u != "" && !strings.HasPrefix(u, "https:") {
				t.Fatalf("%s accepted with the endpoint %q, want https only", doc, u)
			}
		}
	})
}

// FuzzTokenAnswer makes the token endpoint answer anything to a renewal:
// nothing panics, a failure is classed, and accepted credentials hold an
// access token.
func FuzzTokenAnswer(f *testing.F) {
	f.Add(200, "application/json", `{"access_token":"a","token_type":"Bearer","expires_in":60,"refresh_token":"r"}`)
	f.Add(200, "application/json", `{"access_token":"a","token_type":"MAC"}`)
	f.Add(400, "application/json", `{"error":"invalid_grant","error_description":"x"}`)
	f.Add(400, "application/json", `{"error":"invalid_request","error_description":"Refresh token expired."}`)
	f.Add(429, "text/plain", `slow down`)
	f.Add(200, "text/html", `<html>portal</html>`)
	f.Add(200, "application/x-www-form-urlencoded", `access_token=a&expires_in=-5`)
	f.Add(200, "application/json", `{"access_token":"a","expires_in":"9999999999999999999"}`)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	verifier := newVerifier(staticKeys{&key.PublicKey}, verifierConfig{Issuer: "https://id.test", ClientID: "c"})
	f.Fuzz(func(t *testing.T, status int, contentType, body string) {
		if status < 100 || status > 599 {
			return
		}
		answer := func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}
		client := &http.Client{Transport: handlerTransport{http.HandlerFunc(answer)}}
		r := refresher{clientID: "c", http: client, now: time.Now}
		p := &Provider{TokenEndpoint: "https://id.test/token"}
		current := &Credentials{AccessToken: "old", RefreshToken: "r0", ObtainedAt: time.Now()}
		c, err := r.refresh(context.Background(), p, verifier, current, nil)
		if err == nil && c.AccessToken == "" {
			t.Fatalf("status %d %q accepted without an access token", status, body)
		}
		if err != nil {
			_ = providerErrorText(err)
		}
	})
}

// providerErrorText touches everything a caller reads of an error.
func providerErrorText(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) {
		_, _ = pe.endsSession(), pe.transient()
		return pe.Error()
	}
	return err.Error()
}

// FuzzErrorAnswer reads any body as an OAuth error answer, and any
// Retry-After header: nothing panics, and the wait is within bounds.
func FuzzErrorAnswer(f *testing.F) {
	f.Add(400, `{"error":"invalid_grant"}`, "5")
	f.Add(503, `<html>`, "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(429, `{"error":1}`, "-3")
	f.Add(500, ``, "99999999999999999999")
	f.Fuzz(func(t *testing.T, status int, body, after string) {
		resp := &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body)), Header: http.Header{}}
		err := readProviderError("revocation", resp)
		_ = providerErrorText(err)
		if d := retryAfter(after, time.Now()); d < 0 || d > maxRetryAfter {
			t.Fatalf("Retry-After %q read as %v, want between 0 and %v", after, d, maxRetryAfter)
		}
	})
}

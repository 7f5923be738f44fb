package session

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwksServer serves a JWK Set that the test can change.
type jwksServer struct {
	mu      sync.Mutex
	keys    map[string]*rsa.PrivateKey
	fetches int
	srv     *httptest.Server
}

func newJWKSServer(t *testing.T) *jwksServer {
	s := &jwksServer{keys: map[string]*rsa.PrivateKey{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.fetches++
		var keys []map[string]string
		for kid, k := range s.keys {
			keys = append(keys, map[string]string{
				"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
				"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
			})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *jwksServer) addKey(t *testing.T, kid string) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.keys[kid] = k
	s.mu.Unlock()
	return k
}

const (
	testIssuer = "https://issuer.example.test"
	testClient = "latch-client"
)

func goodClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": testIssuer, "aud": testClient, "sub": "alice", "nonce": "n-123",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func sign(t *testing.T, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestVerifier(t *testing.T, s *jwksServer, now time.Time) *verifier {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	keys, err := remoteKeySet(ctx, s.srv.Client(), s.srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return newVerifier(keys, verifierConfig{Issuer: testIssuer, ClientID: testClient, Now: func() time.Time { return now }, Leeway: -1})
}

func TestVerifierAcceptsAGoodToken(t *testing.T) {
	s := newJWKSServer(t)
	key := s.addKey(t, "k1")
	now := time.Now()
	v := newTestVerifier(t, s, now)
	claims, err := v.verify(context.Background(), sign(t, jwt.SigningMethodRS256, "k1", key, goodClaims(now)), "n-123")
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != "alice" {
		t.Fatalf("subject %q, want alice", claims.Subject)
	}
}

func TestVerifierRejects(t *testing.T) {
	s := newJWKSServer(t)
	key := s.addKey(t, "k1")
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	v := newTestVerifier(t, s, now)
	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := goodClaims(now)
		change(c)
		return c
	}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, goodClaims(now)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	good := sign(t, jwt.SigningMethodRS256, "k1", key, goodClaims(now))
	parts := strings.Split(good, ".")
	tamperedPayload, _ := json.Marshal(with(func(c jwt.MapClaims) { c["sub"] = "mallory" }))
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2]

	cases := []struct {
		name, token, nonce, want string
	}{
		{"bad signature", sign(t, jwt.SigningMethodRS256, "k1", other, goodClaims(now)), "n-123", "signature"},
		{"tampered payload", tampered, "n-123", "signature"},
		{"alg none", none, "n-123", "signature or algorithm"},
		{"HMAC with the public key", sign(t, jwt.SigningMethodHS256, "k1", pub, goodClaims(now)), "n-123", "signature or algorithm"},
		{"key of another type", sign(t, jwt.SigningMethodES256, "k1", ecKey, goodClaims(now)), "n-123", ""},
		{"wrong issuer", sign(t, jwt.SigningMethodRS256, "k1", key, with(func(c jwt.MapClaims) { c["iss"] = "https://evil.test" })), "n-123", "wrong issuer"},
		{"wrong audience", sign(t, jwt.SigningMethodRS256, "k1", key, with(func(c jwt.MapClaims) { c["aud"] = "someone-else" })), "n-123", "wrong audience"},
		{"several audiences, no azp", sign(t, jwt.SigningMethodRS256, "k1", key, with(func(c jwt.MapClaims) { c["aud"] = []string{testClient, "api"} })), "n-123", "azp"},
		{"azp of another client", sign(t, jwt.SigningMethodRS256, "k1", key, with(func(c jwt.MapClaims) {
			c["aud"] = []string{testClient, "api"}
			c["azp"] = "api"
		})), "n-123", "another client"},
		{"expired", sign(t, jwt.SigningMethodRS256, "k1", key, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() })), "n-123", "expired"},
		{"no expiry", sign(t, jwt.SigningMethodRS256, "k1", key, with(func(c jwt.MapClaims) { delete(c, "exp") })), "n-123", "required claim"},
		{"issued in the future", sign(t, jwt.SigningMethodRS256, "k1", key, with(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() })), "n-123", "future"},
		{"no iat", sign(t, jwt.SigningMethodRS256, "k1", key, with(func(c jwt.MapClaims) { delete(c, "iat") })), "n-123", "iat"},
		{"no subject", sign(t, jwt.SigningMethodRS256, "k1", key, with(func(c jwt.MapClaims) { delete(c, "sub") })), "n-123", "sub"},
		{"wrong nonce", good, "n-other", "nonce"},
		{"malformed", "not.a.jwt", "n-123", "malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.verify(context.Background(), c.token, c.nonce)
			if !errors.Is(err, ErrUnverified) {
				t.Fatalf("want ErrUnverified, got %v", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestVerifierAllowlistDropsNoneAndHMAC(t *testing.T) {
	v := newVerifier(nil, verifierConfig{Algorithms: []string{"none", "HS256", "RS256"}})
	if got := strings.Join(v.config.Algorithms, ","); got != "RS256" {
		t.Fatalf("allowlist %q", got)
	}
}

func TestVerifierRefetchesKeysForUnknownKID(t *testing.T) {
	s := newJWKSServer(t)
	s.addKey(t, "old")
	now := time.Now()
	v := newTestVerifier(t, s, now)
	// Let the first fetch happen, then rotate the provider's key.
	if _, err := v.verify(context.Background(), "x.y.z", ""); err == nil {
		t.Fatal("garbage verified")
	}
	rotated := s.addKey(t, "new")
	claims, err := v.verify(context.Background(), sign(t, jwt.SigningMethodRS256, "new", rotated, goodClaims(now)), "")
	if err != nil {
		t.Fatalf("a token signed with the rotated key gave %v, want it accepted", err)
	}
	if claims.Subject != "alice" {
		t.Fatal(claims.Subject)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fetches < 2 {
		t.Fatalf("keys fetched %d times, want again for the unknown key ID", s.fetches)
	}
}

func TestVerifierLeeway(t *testing.T) {
	s := newJWKSServer(t)
	key := s.addKey(t, "k1")
	now := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keys, _ := remoteKeySet(ctx, s.srv.Client(), s.srv.URL, nil)
	v := newVerifier(keys, verifierConfig{Issuer: testIssuer, ClientID: testClient, Leeway: time.Minute, Now: func() time.Time { return now }})
	c := goodClaims(now)
	c["exp"] = now.Add(-30 * time.Second).Unix()
	if _, err := v.verify(context.Background(), sign(t, jwt.SigningMethodRS256, "k1", key, c), ""); err != nil {
		t.Fatalf("a token expired within the leeway gave %v, want it accepted", err)
	}
}

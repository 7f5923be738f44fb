// Package apiserver is, for tests, an API (a resource server) that checks
// the access tokens it is sent as a real one must, on its own code: JWT
// access tokens (RFC 9068) signed with the issuer's published keys, for its
// audience, not expired; and for DPoP-bound tokens (RFC 9449) the proof:
// its signature and type, htm, htu, iat, a jti never seen before, ath, the
// nonce it asked for, and the binding (cnf.jkt, the proof key's
// thumbprint).
package apiserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/latchapp/latch/base/dpopcheck"
)

// Server is a running API.
type Server struct {
	// URL is its address, on loopback.
	URL      string
	audience string
	issuer   string
	keys     keyfunc.Keyfunc

	mu         sync.Mutex
	nonce      string
	replays    dpopcheck.Replays
	accepted   int
	challenged int
	rejected   []string
	refuseNext int
}

// Options configure a Server.
type Options struct {
	// RequireNonce makes it answer a DPoP proof without its current nonce
	// with a use_dpop_nonce challenge.
	RequireNonce bool
}

// Start runs an API for audience, trusting issuer's keys, until the test
// ends.
func Start(t testing.TB, issuer, audience string, opts Options) *Server {
	t.Helper()
	keys, stop, err := IssuerKeys(issuer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	s := &Server{audience: audience, issuer: issuer, keys: keys}
	if opts.RequireNonce {
		s.nonce = newNonce()
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// IssuerKeys are the signing keys issuer publishes (its discovery
// document's jwks_uri), fetched again as they change until stop.
func IssuerKeys(issuer string) (keys keyfunc.Keyfunc, stop func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	var doc struct {
		JWKS string `json:"jwks_uri"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || doc.JWKS == "" {
		return nil, nil, fmt.Errorf("the issuer's discovery has no jwks_uri: %v", err)
	}
	keysCtx, stop := context.WithCancel(context.Background())
	if keys, err = keyfunc.NewDefaultCtx(keysCtx, []string{doc.JWKS}); err != nil {
		stop()
		return nil, nil, err
	}
	return keys, stop, nil
}

func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Accepted is how many requests it served; Challenged how many it
// answered with a nonce challenge.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Challenged is how many requests it answered with use_dpop_nonce.
func (s *Server) Challenged() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.challenged
}

// Rejected lists why it refused requests, in order.
func (s *Server) Rejected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rejected)
}

// RefuseNext makes it answer the next n requests with invalid_token, as
// an API does for a token revoked early.
func (s *Server) RefuseNext(n int) {
	s.mu.Lock()
	s.refuseNext = n
	s.mu.Unlock()
}

// RotateNonce gives a new nonce, as a server does from time to time:
// proofs with the old one are challenged.
func (s *Server) RotateNonce() {
	s.mu.Lock()
	s.nonce = newNonce()
	s.mu.Unlock()
}

// Answer is what the API answers a request it accepts.
type Answer struct {
	Subject string `json:"sub"`
	Scope   string `json:"scope"`
	Bound   bool   `json:"bound"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	claims, err := s.check(r, scheme, token)
	var challenge *nonceChallenge
	if errors.As(err, &challenge) {
		s.mu.Lock()
		s.challenged++
		s.mu.Unlock()
		w.Header().Set("DPoP-Nonce", challenge.nonce)
		w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", error_description="a nonce is required"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	if err == nil && s.refuseNext > 0 {
		s.refuseNext--
		err = errors.New("refused on purpose")
	}
	if err != nil {
		s.rejected = append(s.rejected, err.Error())
	} else {
		s.accepted++
	}
	s.mu.Unlock()
	if err != nil {
		if scheme == "" {
			scheme = "Bearer"
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`%s error="invalid_token", error_description=%q`, scheme, err.Error()))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	_, bound := claims["cnf"]
	scope, _ := claims["scope"].(string)
	sub, _ := claims["sub"].(string)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Answer{Subject: sub, Scope: scope, Bound: bound})
}

type nonceChallenge struct{ nonce string }

func (c *nonceChallenge) Error() string { return "use_dpop_nonce" }

// check verifies the access token and, for a bound one, its proof.
func (s *Server) check(r *http.Request, scheme, token string) (jwt.MapClaims, error) {
	if token == "" {
		return nil, errors.New("no access token")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, s.keys.Keyfunc,
		jwt.WithAudience(s.audience), jwt.WithIssuer(s.issuer), jwt.WithExpirationRequired(),
		jwt.WithValidMethods([]string{"ES256", "RS256", "PS256", "EdDSA"}))
	if err != nil {
		return nil, fmt.Errorf("access token: %w", err)
	}
	cnf, _ := claims["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	switch {
	case jkt == "" && scheme == "Bearer":
		return claims, nil
	case jkt == "":
		return nil, fmt.Errorf("an unbound token sent with the %q scheme", scheme)
	case scheme != "DPoP":
		return nil, errors.New("a DPoP-bound token sent without the DPoP scheme")
	}
	return claims, s.checkProof(r, token, jkt)
}

// checkProof verifies the DPoP proof of a request, its nonce and that it
// is used once.
func (s *Server) checkProof(r *http.Request, token, jkt string) error {
	proof, err := dpopcheck.Verify(r, "http://"+r.Host+r.URL.Path, token, time.Now())
	if err != nil {
		return err
	}
	if proof.Thumbprint != jkt {
		return errors.New("the proof key is not the one the token is bound to")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nonce != "" && proof.Nonce != s.nonce {
		return &nonceChallenge{nonce: s.nonce}
	}
	if !s.replays.Fresh(proof.JTI, time.Now()) {
		return fmt.Errorf("proof jti %q replayed", proof.JTI)
	}
	return nil
}

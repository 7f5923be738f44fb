// Package kubeapi is, for tests, a Kubernetes API server's front door:
// HTTPS, and bearer tokens authenticated as kube-apiserver's OIDC
// authenticator does (--oidc-issuer-url, --oidc-client-id,
// --oidc-username-claim=email): a JWT signed with one of the issuer's
// published keys, issued by that issuer, for that client ID, not expired,
// with the username taken from its email claim. It answers kubectl's
// `auth whoami` (a SelfSubjectReview) and `get --raw /whoami`; anything
// else is 404, and an unauthenticated request 401, as Kubernetes answers.
package kubeapi

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/latchapp/latch/internal/testing/apiserver"
)

// Server is a running API server.
type Server struct {
	// URL is its https address, on loopback; CA is its certificate, PEM,
	// for a kubeconfig's certificate-authority-data.
	URL string
	CA  []byte

	issuer, clientID string
	keys             keyfunc.Keyfunc
	accepted         atomic.Int32
	rejected         atomic.Int32
	mu               sync.Mutex
	tokens           map[string]bool // the tokens accepted
}

// Start runs an API server that trusts issuer's ID tokens for clientID,
// until the test ends.
func Start(t testing.TB, issuer, clientID string) *Server {
	t.Helper()
	s, stop, err := New(issuer, clientID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return s
}

// New runs an API server that trusts issuer's ID tokens for clientID,
// until stop is called: for programs other than tests (bench/measure).
func New(issuer, clientID string) (s *Server, stop func(), err error) {
	keys, stopKeys, err := apiserver.IssuerKeys(issuer)
	if err != nil {
		return nil, nil, err
	}
	s = &Server{issuer: issuer, clientID: clientID, keys: keys}
	srv := httptest.NewTLSServer(http.HandlerFunc(s.serve))
	s.URL = srv.URL
	s.CA = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return s, func() { srv.Close(); stopKeys() }, nil
}

// Accepted and Rejected count the requests authenticated, and those
// refused; Tokens counts the different tokens accepted.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }
func (s *Server) Rejected() int { return int(s.rejected.Load()) }
func (s *Server) Tokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}

// username authenticates r: the email claim of its bearer token.
func (s *Server) username(r *http.Request) (string, bool) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", false
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, s.keys.Keyfunc,
		jwt.WithIssuer(s.issuer), jwt.WithAudience(s.clientID), jwt.WithExpirationRequired(),
		jwt.WithValidMethods([]string{"RS256", "ES256", "PS256"}))
	if err != nil {
		return "", false
	}
	email, _ := claims["email"].(string)
	if email != "" {
		s.mu.Lock()
		if s.tokens == nil {
			s.tokens = map[string]bool{}
		}
		s.tokens[raw] = true
		s.mu.Unlock()
	}
	return email, email != ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	user, ok := s.username(r)
	if !ok {
		s.rejected.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(status(http.StatusUnauthorized, "Unauthorized", "Unauthorized"))
		return
	}
	s.accepted.Add(1)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/apis/authentication.k8s.io/v1/selfsubjectreviews":
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
			"metadata": map[string]any{"creationTimestamp": nil},
			"status": map[string]any{"userInfo": map[string]any{
				"username": user, "groups": []string{"system:authenticated"},
			}},
		})
	case r.Method == http.MethodGet && r.URL.Path == "/whoami":
		_ = json.NewEncoder(w).Encode(map[string]string{"username": user})
	default:
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(status(http.StatusNotFound, "NotFound", "the server could not find the requested resource"))
	}
}

// status is a Kubernetes Status object.
func status(code int, reason, message string) map[string]any {
	return map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "message": message, "reason": reason, "code": code}
}

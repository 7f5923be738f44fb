// Package gitserver is, for tests and measurements, a git server over
// smart HTTP: the real git http-backend (through Go's CGI handler)
// serving the bare repositories under a folder, to requests whose Basic
// password is an access token the provider's userinfo endpoint takes,
// and that was not refused.
package gitserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"sync"
)

// Server is a running git server.
type Server struct {
	// URL is its http address, on loopback.
	URL      string
	userinfo string
	mu       sync.Mutex
	refused  map[string]bool
	accepted map[string]bool
}

// New serves the bare repositories under root, checking tokens with the
// provider's userinfo endpoint, until stop is called.
func New(root, userinfo string) (s *Server, stop func(), err error) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return nil, nil, errors.New("git is not on PATH")
	}
	s = &Server{userinfo: userinfo, refused: map[string]bool{}, accepted: map[string]bool{}}
	backend := &cgi.Handler{Path: gitPath, Args: []string{"http-backend"}, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, token, ok := r.BasicAuth()
		if !ok || !s.valid(r.Context(), token) {
			w.Header().Set("WWW-Authenticate", `Basic realm="tests"`)
			http.Error(w, "token refused", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	s.URL = srv.URL
	return s, srv.Close, nil
}

// valid asks the provider whether token is a valid access token.
func (s *Server) valid(ctx context.Context, token string) bool {
	s.mu.Lock()
	refused := s.refused[token]
	s.mu.Unlock()
	if refused {
		return false
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.userinfo, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	s.mu.Lock()
	s.accepted[token] = true
	s.mu.Unlock()
	return true
}

// RefuseAll refuses every token accepted so far, as a server that
// revoked them.
func (s *Server) RefuseAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.accepted {
		s.refused[tok] = true
	}
}

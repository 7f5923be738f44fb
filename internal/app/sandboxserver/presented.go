package sandboxserver

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/latchapp/latch/base/dpopcheck"
)

// authError is why a request to one of the sandbox's APIs (userinfo, the
// Management API) is not authorized.
type authError struct {
	// code is the RFC 6750 error code, "" when no token came.
	code, msg string
	// dpop says the challenge is for the DPoP scheme.
	dpop bool
}

// challenge sets the WWW-Authenticate header of a 401 answer.
func (e *authError) challenge(w http.ResponseWriter) {
	scheme := "Bearer"
	if e.dpop {
		scheme = "DPoP"
	}
	v := scheme + ` realm="latch-sandbox"`
	if e.code != "" {
		v += fmt.Sprintf(`, error=%q, error_description=%q`, e.code, e.msg)
	}
	w.Header().Set("WWW-Authenticate", v)
}

// write answers 401 with the challenge.
func (e *authError) write(w http.ResponseWriter) {
	e.challenge(w)
	http.Error(w, e.msg, http.StatusUnauthorized)
}

// presented checks the access token a request presents, as the sandbox's
// own APIs take it: one of the sandbox's session tokens (not a named
// token for another API), live, sent with the Bearer scheme, or when it is
// bound to a key with the DPoP scheme and a proof of that key for this
// request (RFC 9449 section 7). It returns the token's record and the
// token.
func (s *Server) presented(r *http.Request) (*accessToken, string, *authError) {
	scheme, raw, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if raw == "" || (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "DPoP")) {
		return nil, "", &authError{msg: "Missing authentication"}
	}
	dpop := strings.EqualFold(scheme, "DPoP")
	plain, err := s.provider.Crypto().Decrypt(raw)
	if err != nil {
		return nil, "", &authError{code: "invalid_token", msg: "Invalid token", dpop: dpop}
	}
	tokenID, subject, ok := strings.Cut(plain, ":")
	if !ok {
		return nil, "", &authError{code: "invalid_token", msg: "Invalid token", dpop: dpop}
	}
	at, err := s.storage.accessTokenByID(tokenID)
	if err != nil || at.Subject != subject {
		return nil, "", &authError{code: "invalid_token", msg: "Expired or revoked token", dpop: dpop}
	}
	switch {
	case at.JKT == "" && !dpop:
		return at, raw, nil
	case at.JKT == "":
		return nil, "", &authError{code: "invalid_token", msg: "This token is not bound to a key; send it with the Bearer scheme", dpop: true}
	case !dpop:
		return nil, "", &authError{code: "invalid_token", msg: "This token is bound to a key; send it with the DPoP scheme and a proof", dpop: true}
	}
	proof, err := dpopcheck.Verify(r, s.issuer+r.URL.Path, raw, s.storage.now())
	switch {
	case err != nil:
		return nil, "", &authError{code: "invalid_dpop_proof", msg: err.Error(), dpop: true}
	case proof.Thumbprint != at.JKT:
		return nil, "", &authError{code: "invalid_token", msg: "The DPoP proof is not made with the key this token is bound to", dpop: true}
	case !s.replays.Fresh(proof.JTI, s.storage.now()):
		return nil, "", &authError{code: "invalid_dpop_proof", msg: "The DPoP proof was used before", dpop: true}
	}
	return at, raw, nil
}

package sandboxserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"

	"github.com/latchapp/latch/base/dpopcheck"
)

// The OpenID engine (zitadel's op) knows neither resource indicators (RFC
// 8707) nor DPoP (RFC 9449). extend adds them around it: it reads what the
// engine does not (the resource and dpop_jkt parameters, the DPoP proof of
// a token request) into the request's context, where the storage finds
// them when it makes tokens, and it names bound tokens "DPoP" in the
// token response.

// extras is what a request carries beyond the engine's parameters.
type extras struct {
	// resources are the APIs a sign-in asks for; resource the one API a
	// token request asks a token for.
	resources []string
	resource  string
	// dpopJKT is the key thumbprint a sign-in binds its code to.
	dpopJKT string
	// proofJKT is the thumbprint of the key of a token request's verified
	// DPoP proof.
	proofJKT string
}

type extrasKey struct{}

func extrasOf(ctx context.Context) extras {
	e, _ := ctx.Value(extrasKey{}).(extras)
	return e
}

// extend serves the engine's endpoints with the extras.
func (s *Server) extend(engine http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e extras
		switch r.URL.Path {
		case "/authorize", "/device_authorization":
			_ = r.ParseForm() // kept for the engine, which parses again
			e.resources = r.Form["resource"]
			e.dpopJKT = r.Form.Get("dpop_jkt")
			for _, res := range e.resources {
				if !resourceIndicator(res) {
					http.Error(w, "The resource "+strconv.Quote(res)+" is not an absolute URI without a fragment.", http.StatusBadRequest)
					return
				}
			}
		case "/userinfo":
			// The engine knows bearer tokens only: a DPoP token's proof is
			// checked here, and the engine is then shown a bearer token.
			at, token, err := s.presented(r)
			if err != nil {
				err.write(w)
				return
			}
			if at.JKT != "" {
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer "+token)
				r.Header.Del("DPoP")
			}
		case "/oauth/token":
			_ = r.ParseForm()
			if r.PostForm.Get("grant_type") == "refresh_token" {
				// A refresh token that cannot be spent is said so here,
				// with why: the engine answers a bare invalid_grant.
				if problem := s.storage.refreshProblem(r.PostForm.Get("refresh_token")); problem != "" {
					tokenError(w, "invalid_grant", problem)
					return
				}
			}
			if res := r.PostForm["resource"]; len(res) > 1 {
				tokenError(w, "invalid_target", "ask for one resource per token request")
				return
			} else if len(res) == 1 {
				e.resource = res[0]
				// Checked before the engine, which would answer any
				// refusal of the refresh token with invalid_grant.
				if r.PostForm.Get("grant_type") == "refresh_token" && !s.storage.granted(r.PostForm.Get("refresh_token"), e.resource) {
					tokenError(w, "invalid_target", "the sign-in did not ask for this resource; ask for it at sign-in")
					return
				}
			}
			if r.Header.Get("DPoP") != "" {
				proof, err := dpopcheck.Verify(r, s.issuer+"/oauth/token", "", s.storage.now())
				if err != nil {
					tokenError(w, "invalid_dpop_proof", err.Error())
					return
				}
				if !s.replays.Fresh(proof.JTI, s.storage.now()) {
					tokenError(w, "invalid_dpop_proof", "the DPoP proof was used before")
					return
				}
				e.proofJKT = proof.Thumbprint
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), extrasKey{}, e))
		if e.proofJKT == "" {
			engine.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		engine.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			body = boundTokenType(body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// boundTokenType names the access token of a token response "DPoP".
func boundTokenType(body []byte) []byte {
	var answer map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&answer) != nil {
		return body
	}
	answer["token_type"] = "DPoP"
	out, err := json.Marshal(answer)
	if err != nil {
		return body
	}
	return out
}

// resourceIndicator reports whether s may name an API (RFC 8707 section
// 2): an absolute URI without a fragment.
func resourceIndicator(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Fragment == "" && !strings.Contains(s, "#")
}

// tokenError answers a token request with an OAuth error (RFC 6749
// section 5.2).
func tokenError(w http.ResponseWriter, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

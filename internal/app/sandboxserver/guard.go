package sandboxserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// The sandbox is a web server on the person's machine, so any web page in
// their browser can send it requests. guard keeps those out:
//   - the Host header must be the issuer's (a page that rebinds its own
//     name to 127.0.0.1 is refused);
//   - a request that changes something (any method but GET, HEAD and
//     OPTIONS) from a browser must come from the sandbox's own pages: an
//     Origin header, when present, must be the issuer;
//   - the forms carry a CSRF token that must match a cookie of the
//     sandbox's own (see csrfToken and checkCSRF);
//   - CORS allows the sandbox's own origin only (see server.go);
//   - the endpoints that take a grant or a token (token, device
//     authorization, revocation) take POST alone, as RFC 6749, 8628 and
//     7009 say: a GET would carry secrets in an address and escape the
//     Origin check above.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != s.host {
			http.Error(w, "This is Latch's sandbox; it answers requests for "+s.issuer+" only.", http.StatusMisdirectedRequest)
			return
		}
		if postOnly[r.URL.Path] && r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "This endpoint takes POST only.", http.StatusMethodNotAllowed)
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if origin := r.Header.Get("Origin"); origin != "" && origin != s.issuer {
				http.Error(w, "Requests from other web sites are refused.", http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// postOnly are the paths of the endpoints that take POST alone.
var postOnly = map[string]bool{"/oauth/token": true, "/device_authorization": true, "/revoke": true}

// csrfCookie names the cookie that holds the CSRF token of the forms.
const csrfCookie = "latch_sandbox_csrf"

// csrfToken returns the browser's CSRF token, setting the cookie when it
// has none yet.
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return token
}

// checkCSRF reports whether a posted form carries the token of the
// browser's cookie, and says why not to the browser when it does not.
func checkCSRF(w http.ResponseWriter, r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err == nil && c.Value != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) == 1 {
		return true
	}
	http.Error(w, "This form was not sent from the sandbox's own page; open the page again and retry.", http.StatusForbidden)
	return false
}

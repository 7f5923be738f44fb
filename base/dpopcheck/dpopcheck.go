// Package dpopcheck verifies DPoP proofs (RFC 9449 section 4.3) as a
// server must: for the sandbox provider's token endpoint and APIs, and for
// the test API in package apiserver. Latch's client makes proofs in
// package session; this is the other side, written apart from it.
package dpopcheck

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// Window is how far a proof's iat may be from the server's clock.
const Window = time.Minute

// Proof is a verified proof.
type Proof struct {
	// Thumbprint is the JWK SHA-256 thumbprint (RFC 7638) of the proof's
	// key: what a bound token names in cnf.jkt.
	Thumbprint string
	// JTI is the proof's unique ID; Nonce the server nonce it carries.
	JTI, Nonce string
}

// Verify checks the one DPoP proof of r: its type, signature and key, the
// method and target (htu, without query and fragment), that iat is within
// [Window] of now, and, when accessToken is not empty, that ath is its
// hash. Replay and nonce are the caller's to check, with [Replays].
func Verify(r *http.Request, target, accessToken string, now time.Time) (*Proof, error) {
	proofs := r.Header.Values("DPoP")
	if len(proofs) != 1 {
		return nil, fmt.Errorf("%d DPoP proofs, want one", len(proofs))
	}
	var key jose.JSONWebKey
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(proofs[0], claims, func(t *jwt.Token) (any, error) {
		if t.Header["typ"] != "dpop+jwt" {
			return nil, fmt.Errorf("typ %v, want dpop+jwt", t.Header["typ"])
		}
		raw, err := json.Marshal(t.Header["jwk"])
		if err != nil {
			return nil, err
		}
		if err := key.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("jwk: %w", err)
		}
		if !key.IsPublic() {
			return nil, errors.New("the proof carries a private key")
		}
		return key.Key, nil
	}, jwt.WithValidMethods([]string{"ES256", "ES384", "RS256", "PS256", "EdDSA"}), jwt.WithoutClaimsValidation())
	if err != nil {
		return nil, fmt.Errorf("DPoP proof: %w", err)
	}
	thumb, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("DPoP proof key: %w", err)
	}
	if claims["htm"] != r.Method {
		return nil, fmt.Errorf("DPoP proof htm %v, want %s", claims["htm"], r.Method)
	}
	if htu, _ := claims["htu"].(string); !sameTarget(htu, target) {
		return nil, fmt.Errorf("DPoP proof htu %v, want %s", claims["htu"], target)
	}
	iat, ok := claims["iat"].(float64)
	if !ok || now.Sub(time.Unix(int64(iat), 0)).Abs() > Window {
		return nil, fmt.Errorf("DPoP proof iat %v is not recent", claims["iat"])
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		if claims["ath"] != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return nil, errors.New("DPoP proof ath does not match the access token")
		}
	}
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return nil, errors.New("DPoP proof has no jti")
	}
	nonce, _ := claims["nonce"].(string)
	return &Proof{Thumbprint: base64.RawURLEncoding.EncodeToString(thumb), JTI: jti, Nonce: nonce}, nil
}

// sameTarget compares two addresses as RFC 9449 section 4.3 asks: without
// query and fragment, after syntax-based normalization (RFC 3986 section
// 6.2.2: case of scheme and host, percent-encoding).
func sameTarget(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) && ua.Path == ub.Path
}

// Replays remembers the proofs a server accepted, for twice [Window], so
// that each is used once. The zero value is ready.
type Replays struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// Fresh records jti and reports whether it was not seen before.
func (r *Replays) Fresh(jti string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]time.Time{}
	}
	for id, at := range r.seen {
		if now.Sub(at) > 2*Window {
			delete(r.seen, id)
		}
	}
	if _, ok := r.seen[jti]; ok {
		return false
	}
	r.seen[jti] = now
	return true
}

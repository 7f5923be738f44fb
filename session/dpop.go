package session

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchapp/latch/base/secureurl"
)

// dpopKey is the key pair that DPoP tokens are bound to (RFC 9449): an
// ECDSA P-256 key, for ES256 proofs. It is made at sign-in and kept in the
// store beside the credentials.
type dpopKey struct {
	priv *ecdsa.PrivateKey
	// jwk is the public key as the proofs' header carries it.
	jwk map[string]any
	// thumbprint is its JWK SHA-256 thumbprint (RFC 7638), which bound
	// tokens name in cnf.jkt and sign-in sends as dpop_jkt.
	thumbprint string
}

// newDPoPKey makes a fresh key pair.
func newDPoPKey() (*dpopKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("making the DPoP key: %w", err)
	}
	return dpopKeyOf(priv)
}

// parseDPoPKey reads a key stored by [dpopKey.marshal].
func parseDPoPKey(b []byte) (*dpopKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: DPoP key: %w", ErrCorruptValue, err)
	}
	priv, ok := k.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: DPoP key: not a P-256 key", ErrCorruptValue)
	}
	return dpopKeyOf(priv)
}

func dpopKeyOf(priv *ecdsa.PrivateKey) (*dpopKey, error) {
	pub, err := priv.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, fmt.Errorf("DPoP key: %w", err)
	}
	x := base64.RawURLEncoding.EncodeToString(pub[1:33])
	y := base64.RawURLEncoding.EncodeToString(pub[33:65])
	// RFC 7638: the required members, in lexicographic order, no spaces.
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`))
	return &dpopKey{
		priv:       priv,
		jwk:        map[string]any{"kty": "EC", "crv": "P-256", "x": x, "y": y},
		thumbprint: base64.RawURLEncoding.EncodeToString(sum[:]),
	}, nil
}

// marshal is the key in the store's encoding (PKCS #8).
func (k *dpopKey) marshal() ([]byte, error) {
	return x509.MarshalPKCS8PrivateKey(k.priv)
}

// proof is a DPoP proof JWT for one request (RFC 9449 section 4.2): the
// method, the target without query and fragment, the time, a unique ID,
// the server's nonce when it gave one, and the hash of the access token
// when one is presented with it.
func (k *dpopKey) proof(method string, target *url.URL, nonce, accessToken string, now time.Time) (string, error) {
	if target == nil || !target.IsAbs() {
		return "", errors.New("a DPoP proof needs an absolute address")
	}
	htu := url.URL{Scheme: target.Scheme, Host: target.Host, Path: target.Path, RawPath: target.RawPath}
	claims := jwt.MapClaims{
		"jti": randomString(16),
		"htm": method,
		"htu": htu.String(),
		"iat": now.Unix(),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["typ"] = "dpop+jwt"
	t.Header["jwk"] = k.jwk
	s, err := t.SignedString(k.priv)
	if err != nil {
		return "", fmt.Errorf("signing a DPoP proof: %w", err)
	}
	return s, nil
}

// dpopNonces remembers the latest DPoP-Nonce that each server (by origin)
// gave (RFC 9449 section 8), so that the next proof to it carries it
// without first being refused.
type dpopNonces struct {
	mu       sync.Mutex
	byOrigin map[string]string
}

func (n *dpopNonces) get(u *url.URL) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.byOrigin[secureurl.Origin(u)]
}

// note keeps the nonce that resp carries, if any.
func (n *dpopNonces) note(u *url.URL, resp *http.Response) {
	v := resp.Header.Get("DPoP-Nonce")
	if v == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.byOrigin == nil {
		n.byOrigin = make(map[string]string)
	}
	n.byOrigin[secureurl.Origin(u)] = v
}

// nonceChallenge reports whether resp refuses a DPoP proof for want of a
// fresh nonce, and gives one: a 400 use_dpop_nonce from an authorization
// server, or a 401 whose WWW-Authenticate says use_dpop_nonce from a
// resource server. A 400's body is read and put back.
func nonceChallenge(resp *http.Response) bool {
	if resp.Header.Get("DPoP-Nonce") == "" {
		return false
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return authChallenge(resp, "use_dpop_nonce")
	case http.StatusBadRequest:
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if err != nil {
			return false
		}
		var body struct {
			Error string `json:"error"`
		}
		return json.Unmarshal(b, &body) == nil && body.Error == "use_dpop_nonce"
	}
	return false
}

// authChallenge reports whether a 401's WWW-Authenticate header names the
// error code (RFC 6750 section 3, RFC 9449 section 7.1).
func authChallenge(resp *http.Response, code string) bool {
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if strings.Contains(v, `error="`+code+`"`) || strings.Contains(v, "error="+code) {
			return true
		}
	}
	return false
}

// errNoReplay means a request cannot be sent again: its body cannot be
// read a second time.
var errNoReplay = errors.New("the request body cannot be sent again")

// attempt is the n-th sending of req (from 0): a copy with its body
// ready.
func attempt(req *http.Request, n int) (*http.Request, error) {
	out := req.Clone(req.Context())
	if n > 0 && req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, errNoReplay
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		out.Body = body
	}
	return out, nil
}

// sendSigned sends req through base with the headers that sign sets
// (given the nonce the server asked for last), and once more with the new
// nonce when the server answers with a nonce challenge. n counts earlier
// sendings of req, for its body.
func sendSigned(req *http.Request, n int, base http.RoundTripper, nonces *dpopNonces, sign func(out *http.Request, nonce string) error) (*http.Response, error) {
	for retried := false; ; retried = true {
		out, err := attempt(req, n)
		if err != nil {
			return nil, err
		}
		n++
		if err := sign(out, nonces.get(req.URL)); err != nil {
			if out.Body != nil {
				out.Body.Close()
			}
			return nil, err
		}
		resp, err := base.RoundTrip(out)
		if err != nil {
			return nil, err
		}
		nonces.note(req.URL, resp)
		if retried || !nonceChallenge(resp) || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
	}
}

// proofTransport adds a DPoP proof to each request to the provider (token
// requests at sign-in, renewal and for named tokens), and answers a nonce
// challenge once.
type proofTransport struct {
	base   http.RoundTripper
	key    *dpopKey
	nonces *dpopNonces
	now    func() time.Time
}

// RoundTrip implements [http.RoundTripper].
func (t *proofTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return sendSigned(req, 0, base, t.nonces, func(out *http.Request, nonce string) error {
		proof, err := t.key.proof(req.Method, req.URL, nonce, "", t.now())
		if err != nil {
			return err
		}
		out.Header.Set("DPoP", proof)
		return nil
	})
}

// The DPoP key of a session: made at sign-in (see newSignInKey), stored
// beside the credentials, and named in them by its thumbprint. A session
// whose key is gone or changed cannot use its tokens: it ends, with
// [ErrDPoPKeyLost] as its reason.

// randomString returns n random bytes, base64url-encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

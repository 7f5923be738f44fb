package session

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
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

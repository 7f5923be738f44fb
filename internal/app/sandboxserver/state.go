package sandboxserver

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/latchapp/latch/base/atomicfile"
	"github.com/latchapp/latch/internal/app/sandboxclient"
)

// ErrCorruptState means the state file exists but cannot be used. The
// sandbox never replaces it silently: the person moves it aside.
var ErrCorruptState = sandboxclient.ErrCorruptState

// stateVersion is the layout of the state file.
const stateVersion = 1

// state is everything the sandbox keeps across restarts. It is written
// whole, atomically, after every change. Refresh tokens are kept only as
// SHA-256 hashes.
type state struct {
	Version    int                       `json:"version"`
	SigningKey []byte                    `json:"signing_key"` // PKCS #8 DER
	KeyID      string                    `json:"key_id"`
	CryptoKey  []byte                    `json:"crypto_key"` // 32 bytes, seals opaque access tokens
	Metadata   map[string]map[string]any `json:"user_metadata"`
	Grants     map[string]*grant         `json:"grants"`
	Refresh    map[string]*refreshToken  `json:"refresh_tokens"` // by hash
	Access     map[string]*accessToken   `json:"access_tokens"`  // by ID

	key *rsa.PrivateKey
}

type grant struct {
	ID       string    `json:"id"`
	Subject  string    `json:"sub"`
	ClientID string    `json:"client_id"`
	AuthTime time.Time `json:"auth_time"`
	AMR      []string  `json:"amr,omitempty"`
	// Resources are the APIs the sign-in asked for (RFC 8707): the only
	// ones a refresh token of the grant gets tokens for.
	Resources []string `json:"resources,omitempty"`
}

type refreshToken struct {
	ID       string    `json:"id"`
	GrantID  string    `json:"grant"`
	Scopes   []string  `json:"scopes"`
	Audience []string  `json:"aud"`
	Expiry   time.Time `json:"expiry"`
	// Rotated is set once the token has been exchanged, at RotatedAt;
	// presenting it again is reuse, and revokes the grant, but within the
	// reuse interval (Config.ReuseInterval).
	Rotated   bool      `json:"rotated,omitempty"`
	RotatedAt time.Time `json:"rotated_at,omitzero"`
	// Revoked says why the token's grant was revoked, when that is worth
	// telling whoever presents it later ("reuse"); the token is kept, by
	// its hash, until it would have expired.
	Revoked string `json:"revoked,omitempty"`
	// JKT is the thumbprint of the DPoP key the token is bound to: a
	// refresh must carry a proof of that key (RFC 9449 section 5).
	JKT string `json:"jkt,omitempty"`
}

type accessToken struct {
	ID       string    `json:"id"`
	GrantID  string    `json:"grant"`
	Subject  string    `json:"sub"`
	ClientID string    `json:"client_id"`
	Scopes   []string  `json:"scopes"`
	Audience []string  `json:"aud"`
	Expiry   time.Time `json:"expiry"`
	// JKT is the thumbprint of the DPoP key the token is bound to.
	JKT string `json:"jkt,omitempty"`
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// loadState reads the state file at path, or makes a new state when there
// is none. A file that exists but cannot be read or parsed is an error.
func loadState(path string) (*state, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return newState()
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: reading state %s: %w", path, err)
	}
	var s state
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%w: %s: %v; move it aside to start afresh", ErrCorruptState, path, err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("%w: %s has version %d, want %d; move it aside to start afresh", ErrCorruptState, path, s.Version, stateVersion)
	}
	key, err := x509.ParsePKCS8PrivateKey(s.SigningKey)
	rsaKey, ok := key.(*rsa.PrivateKey)
	if err != nil || !ok || len(s.CryptoKey) != 32 || s.KeyID == "" {
		return nil, fmt.Errorf("%w: %s: unusable keys; move it aside to start afresh", ErrCorruptState, path)
	}
	s.key = rsaKey
	s.init()
	return &s, nil
}

func newState() (*state, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("sandbox: signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("sandbox: signing key: %w", err)
	}
	crypto := make([]byte, 32)
	_, _ = rand.Read(crypto)
	s := &state{Version: stateVersion, SigningKey: der, KeyID: randomID()[:16], CryptoKey: crypto, key: key}
	s.init()
	return s, nil
}

func (s *state) init() {
	if s.Metadata == nil {
		s.Metadata = map[string]map[string]any{}
	}
	if s.Grants == nil {
		s.Grants = map[string]*grant{}
	}
	if s.Refresh == nil {
		s.Refresh = map[string]*refreshToken{}
	}
	if s.Access == nil {
		s.Access = map[string]*accessToken{}
	}
}

// prune drops expired tokens and grants without tokens.
func (s *state) prune(now time.Time) {
	live := map[string]bool{}
	for h, rt := range s.Refresh {
		if now.After(rt.Expiry) {
			delete(s.Refresh, h)
			continue
		}
		live[rt.GrantID] = true
	}
	for id, at := range s.Access {
		if now.After(at.Expiry) {
			delete(s.Access, id)
			continue
		}
		live[at.GrantID] = true
	}
	for id := range s.Grants {
		if !live[id] {
			delete(s.Grants, id)
		}
	}
}

// revokeGrant removes a grant and every token issued under it. With a
// reason, its refresh tokens are kept, marked with it, so that the next
// one presented is refused saying why.
func (s *state) revokeGrant(id, reason string) {
	delete(s.Grants, id)
	for h, rt := range s.Refresh {
		switch {
		case rt.GrantID != id:
		case reason != "":
			rt.Revoked = reason
		default:
			delete(s.Refresh, h)
		}
	}
	for tid, at := range s.Access {
		if at.GrantID == id {
			delete(s.Access, tid)
		}
	}
}

// save writes the state to path atomically, readable by the user alone.
func (s *state) save(path string) error {
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("sandbox: saving state: %w", err)
	}
	if err := atomicfile.Write(path, raw, 0o600); err != nil {
		return fmt.Errorf("sandbox: saving state: %w", err)
	}
	return nil
}

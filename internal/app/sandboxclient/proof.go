package sandboxclient

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// A sandbox on the person's machine is trusted with their sign-in, their
// metadata and their sign-outs, so Latch trusts one that answers on the
// sandbox's address only once it proves that it knows a secret of the
// person's sandbox state: a file of theirs alone (0600), which another
// user of the machine cannot read. Another program, or another user's
// sandbox, that holds the address first is not taken for it.

// ProofKey is what a sandbox proves it knows: derived from the state's
// secret, so that the proof says nothing of the secret itself.
func ProofKey(cryptoKey []byte) []byte {
	mac := hmac.New(sha256.New, cryptoKey)
	mac.Write([]byte("latch sandbox proof"))
	return mac.Sum(nil)
}

// Proof is the answer to challenge with key.
func Proof(key []byte, challenge string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(challenge))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// stateProofKey reads the proof key of the state at path (empty: the
// default state file).
func stateProofKey(path string) ([]byte, bool) {
	if path == "" {
		var err error
		if path, err = DefaultStateFile(); err != nil {
			return nil, false
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var st struct {
		CryptoKey []byte `json:"crypto_key"`
	}
	if json.Unmarshal(raw, &st) != nil || len(st.CryptoKey) != 32 {
		return nil, false
	}
	return ProofKey(st.CryptoKey), true
}

// Running reports whether the person's Latch sandbox answers at addr,
// and its issuer: one that proves it knows the secret of the state at
// stateFile (empty: the default state file). Anything else at the
// address, a sandbox of another state or another user's included, is
// not it.
func Running(ctx context.Context, addr, stateFile string) (string, bool) {
	key, ok := stateProofKey(stateFile)
	if !ok {
		return "", false // no state yet: none of the person's sandboxes has run
	}
	challenge := make([]byte, 32)
	_, _ = rand.Read(challenge)
	c := base64.RawURLEncoding.EncodeToString(challenge)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+IdentityPath+"?challenge="+url.QueryEscape(c), nil)
	if err != nil {
		return "", false
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var id Identity
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&id) != nil || id.Sandbox != "1" {
		return "", false
	}
	if !hmac.Equal([]byte(id.Proof), []byte(Proof(key, c))) {
		return "", false
	}
	return id.Issuer, true
}

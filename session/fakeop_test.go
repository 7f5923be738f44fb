package session

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeOP is a scripted provider for unit tests of failure handling that a
// real provider cannot be made to produce on demand. The real-provider
// tests cover the protocol itself.
type fakeOP struct {
	t   *testing.T
	srv *httptest.Server
	key *rsa.PrivateKey

	mu sync.Mutex
	// token answers token requests; nil means a good response.
	token      func(w http.ResponseWriter, r *http.Request) bool
	tokenCalls []time.Time
	serial     int
	// now is the provider's clock; nil means time.Now.
	now func() time.Time
	// verificationURI replaces the device answer's verification_uri.
	verificationURI string
}

// clock is the provider's time.
func (op *fakeOP) clock() time.Time {
	op.mu.Lock()
	now := op.now
	op.mu.Unlock()
	if now == nil {
		return time.Now()
	}
	return now()
}

func newFakeOP(t *testing.T) *fakeOP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	op := &fakeOP{t: t, key: key}
	mux := http.NewServeMux()
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                        op.srv.URL,
			"authorization_endpoint":        op.srv.URL + "/authorize",
			"token_endpoint":                op.srv.URL + "/token",
			"device_authorization_endpoint": op.srv.URL + "/device",
			"jwks_uri":                      op.srv.URL + "/jwks",
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k", "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("/device", func(w http.ResponseWriter, _ *http.Request) {
		op.mu.Lock()
		verify := op.verificationURI
		op.mu.Unlock()
		if verify == "" {
			verify = op.srv.URL + "/activate"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"device_code": "dev", "user_code": "ABCD-EFGH", "verification_uri": verify,
			"expires_in": 600, "interval": 1,
		})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		op.tokenCalls = append(op.tokenCalls, time.Now())
		op.serial++
		n := op.serial
		script := op.token
		op.mu.Unlock()
		if script != nil && script(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": "access-" + big.NewInt(int64(n)).String(), "token_type": "Bearer", "expires_in": 60,
			"refresh_token": "refresh-" + big.NewInt(int64(n)).String(), "id_token": op.idToken("alice", op.clock()),
		})
	})
	return op
}

func (op *fakeOP) idToken(sub string, now time.Time) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": op.srv.URL, "aud": "fake-client", "sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = "k"
	s, err := tok.SignedString(op.key)
	if err != nil {
		op.t.Fatal(err)
	}
	return s
}

func (op *fakeOP) script(f func(w http.ResponseWriter, r *http.Request) bool) {
	op.mu.Lock()
	op.token = f
	op.mu.Unlock()
}

func (op *fakeOP) calls() []time.Time {
	op.mu.Lock()
	defer op.mu.Unlock()
	return append([]time.Time(nil), op.tokenCalls...)
}

// signedIn returns a Manager on op whose store holds credentials that
// expire after lifetime.
func (op *fakeOP) signedIn(t *testing.T, store Store, lifetime time.Duration, adjust ...func(*Config)) (*Manager, *Credentials) {
	now := time.Now()
	creds := &Credentials{
		AccessToken: "access-0", TokenType: "Bearer", RefreshToken: "refresh-0",
		IDToken: op.idToken("alice", now), Expiry: now.Add(lifetime), ObtainedAt: now,
	}
	b, _ := creds.marshal()
	cfg := Config{Issuer: op.srv.URL, ClientID: "fake-client", Store: store, LockDir: t.TempDir(), StoreKey: "creds"}
	for _, f := range adjust {
		f(&cfg)
	}
	if err := store.Set(t.Context(), "creds", b); err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, creds
}

// handlerTransport serves requests with a handler in the same process,
// without a network: the transport for tests in a testing/synctest
// bubble, whose fake clock only moves when every goroutine in it waits.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	resp := w.Result()
	resp.Request = r
	return resp, nil
}

// direct makes a Manager reach op without a network, and watch its store
// by polling, for synctest.
func (op *fakeOP) direct(c *Config) {
	c.HTTPClient = &http.Client{Transport: handlerTransport{op.srv.Config.Handler}}
	c.pollStore = true
}

// answer returns a token script that always answers status with body.
func answer(status int, body string) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, _ *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return true
	}
}

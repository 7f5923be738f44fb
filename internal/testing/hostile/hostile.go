// Package hostile is the other side of Latch's security tests: servers
// and content that try to take what is not theirs or to exhaust what
// they are given, kept as a package so that every finding of a review
// stays a test. Each records what reached it, for the test to say that
// nothing did.
package hostile

import (
	"bytes"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// Request is what a hostile server saw of one request.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         string
}

// Thief is a server at another origin than the one a token is for (a
// loopback address other than 127.0.0.1), which keeps every request it
// receives and answers with Status, and with WWW-Authenticate
// invalid_token for a 401: what makes a client that sent it a token
// renew it and send the new one too.
type Thief struct {
	URL    string
	Status int

	mu   sync.Mutex
	seen []Request
}

// StartThief starts a Thief on 127.0.0.2 until the test ends.
func StartThief(t testing.TB, status int) *Thief {
	t.Helper()
	th := &Thief{Status: status}
	srv := onAddress(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		th.mu.Lock()
		th.seen = append(th.seen, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body)})
		th.mu.Unlock()
		if th.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
		w.WriteHeader(th.Status)
	}))
	th.URL = srv.URL
	return th
}

// Seen returns the requests the thief received.
func (th *Thief) Seen() []Request {
	th.mu.Lock()
	defer th.mu.Unlock()
	return append([]Request(nil), th.seen...)
}

// Redirector is a server that answers every request with a redirect of
// Status to the same path at To.
func Redirector(t testing.TB, status int, to string) *httptest.Server {
	t.Helper()
	return onAddress(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, to+r.URL.RequestURI(), status)
	}))
}

// EndlessJWKS is an OpenID provider whose discovery document is in order
// and whose JWK Set never ends: it streams a JSON array of keys for as
// long as the client reads, counting the bytes.
type EndlessJWKS struct {
	Issuer string
	sent   atomic.Int64
}

// StartEndlessJWKS starts one until the test ends.
func StartEndlessJWKS(t testing.TB) *EndlessJWKS {
	t.Helper()
	e := &EndlessJWKS{}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{
			"issuer": e.Issuer, "authorization_endpoint": e.Issuer + "/authorize",
			"token_endpoint": e.Issuer + "/token", "jwks_uri": e.Issuer + "/jwks",
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		key := []byte(`{"kty":"oct","kid":"` + string(bytes.Repeat([]byte("k"), 4000)) + `"},`)
		n, _ := w.Write([]byte(`{"keys":[`))
		e.sent.Add(int64(n))
		for r.Context().Err() == nil {
			n, err := w.Write(key)
			e.sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	srv := onAddress(t, "127.0.0.1:0", mux)
	e.Issuer = srv.URL
	return e
}

// Sent is how many bytes of the JWK Set were written to clients.
func (e *EndlessJWKS) Sent() int64 { return e.sent.Load() }

// PictureBomb is a PNG whose header says it is w by h pixels, in a few
// dozen bytes: what a profile picture that exhausts memory looks like on
// the wire (40000 by 40000 decodes to 6.4 GB).
func PictureBomb(w, h int) []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	out := b.Bytes()
	ihdr := out[8 : 8+25] // length, "IHDR", 13 bytes of data, CRC
	put32(ihdr[8:], uint32(w))
	put32(ihdr[12:], uint32(h))
	put32(ihdr[21:], crc32.ChecksumIEEE(ihdr[4:21]))
	return out
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// onAddress serves h on addr (a loopback address) until the test ends.
func onAddress(t testing.TB, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		t.Fatalf("listening on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

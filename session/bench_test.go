package session

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// hotPathSources are the ways to get a valid token in steady state, and
// golang.org/x/oauth2's ReuseTokenSource holding a valid token, which is
// what Latch is measured against: each returns a function that gets one
// token.
func hotPathSources(b *testing.B) map[string]func() error {
	b.Helper()
	store := &MemoryStore{}
	now := time.Now()
	c := &Credentials{AccessToken: "a", RefreshToken: "r", Expiry: now.Add(time.Hour), ObtainedAt: now, SessionID: "s"}
	raw, _ := c.marshal()
	ctx := context.Background()
	_ = store.Set(ctx, "creds", raw)
	api := API{Audience: "https://orders.example.test/", Scopes: []string{"orders:read"}}
	named := &Credentials{AccessToken: "n", Expiry: now.Add(time.Hour), ObtainedAt: now, SessionID: "s"}
	records, _ := json.Marshal(map[string]namedRecord{"orders": recordOf(api, named)})
	_ = store.Set(ctx, "creds.apis", records)
	m, err := New(Config{Issuer: "https://issuer.example.test", ClientID: "c", Store: store, StoreKey: "creds",
		LockDir: b.TempDir(), ManualRenewal: true, APIs: map[string]API{"orders": api}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	// The first calls read the store; the benchmark measures the rest.
	orders := m.NamedToken("orders")
	if _, err := orders.Credentials(ctx, time.Minute); err != nil {
		b.Fatal(err)
	}
	ts := m.TokenSource(time.Minute)
	reuse := oauth2.ReuseTokenSource(&oauth2.Token{AccessToken: "a", Expiry: now.Add(time.Hour)}, neverSource{})
	return map[string]func() error{
		"latch":             func() error { _, err := m.Credentials(ctx, time.Minute); return err },
		"latch-tokensource": func() error { _, err := ts.Token(); return err },
		"latch-named":       func() error { _, err := orders.Credentials(ctx, time.Minute); return err },
		"oauth2":            func() error { _, err := reuse.Token(); return err },
	}
}

// neverSource fails the benchmark's comparison if ReuseTokenSource ever
// asks it: the token it holds is valid.
type neverSource struct{}

func (neverSource) Token() (*oauth2.Token, error) { return nil, errors.New("asked for a token") }

// BenchmarkTokenHotPath is a token held and valid, one caller at a time:
// Latch's Credentials, TokenSource and named token against
// oauth2.ReuseTokenSource.
func BenchmarkTokenHotPath(b *testing.B) {
	sources := hotPathSources(b)
	for _, name := range []string{"latch", "latch-tokensource", "latch-named", "oauth2"} {
		get := sources[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := get(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTokenHotPathParallel is BenchmarkTokenHotPath with callers on
// every core at once.
func BenchmarkTokenHotPathParallel(b *testing.B) {
	sources := hotPathSources(b)
	for _, name := range []string{"latch", "latch-tokensource", "latch-named", "oauth2"} {
		get := sources[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := get(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkDPoPProof is the signing of one proof, which every request
// with a DPoP token pays.
func BenchmarkDPoPProof(b *testing.B) {
	key, err := newDPoPKey()
	if err != nil {
		b.Fatal(err)
	}
	target, _ := url.Parse("https://api.example.test/v1/orders")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := key.proof("GET", target, "nonce", "token", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeychainSet measures the chunked write of a typical session
// (about 4 KB: an Auth0 ID token and access token) on an in-memory
// backend, that is, the work Latch adds on top of the keychain itself.
func BenchmarkKeychainSet(b *testing.B) {
	k := &Keychain{Service: "bench", Backend: &memBackend{}}
	value := make([]byte, 4096)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := k.Set(ctx, "creds", value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeychainGet is the matching read.
func BenchmarkKeychainGet(b *testing.B) {
	k := &Keychain{Service: "bench", Backend: &memBackend{}}
	ctx := context.Background()
	_ = k.Set(ctx, "creds", make([]byte, 4096))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Get(ctx, "creds"); err != nil {
			b.Fatal(err)
		}
	}
}

package session

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

// BenchmarkCredentialsSteadyState is what a caller pays for a token when
// the scheduler keeps the session fresh: no network, no keychain.
func BenchmarkCredentialsSteadyState(b *testing.B) {
	store := &MemoryStore{}
	now := time.Now()
	c := &Credentials{AccessToken: "a", RefreshToken: "r", Expiry: now.Add(time.Hour), ObtainedAt: now}
	raw, _ := c.marshal()
	_ = store.Set(context.Background(), "creds", raw)
	m, err := New(Config{Issuer: "https://issuer.example.test", ClientID: "c", Store: store, StoreKey: "creds", LockDir: b.TempDir(), ManualRenewal: true})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Credentials(ctx, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkNamedTokenSteadyState is what a caller pays for a named token
// held in memory: no network, no keychain.
func BenchmarkNamedTokenSteadyState(b *testing.B) {
	store := &MemoryStore{}
	now := time.Now()
	c := &Credentials{AccessToken: "a", RefreshToken: "r", Expiry: now.Add(time.Hour), ObtainedAt: now, SessionID: "s"}
	raw, _ := c.marshal()
	_ = store.Set(context.Background(), "creds", raw)
	api := API{Audience: "https://orders.example.test/", Scopes: []string{"orders:read"}}
	named := &Credentials{AccessToken: "n", Expiry: now.Add(time.Hour), ObtainedAt: now, SessionID: "s"}
	records, _ := json.Marshal(map[string]namedRecord{"orders": recordOf(api, named)})
	_ = store.Set(context.Background(), "creds.apis", records)
	m, err := New(Config{Issuer: "https://issuer.example.test", ClientID: "c", Store: store, StoreKey: "creds", LockDir: b.TempDir(), ManualRenewal: true,
		APIs: map[string]API{"orders": api}})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	t := m.NamedToken("orders")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if c, err := t.Credentials(ctx, time.Minute); err != nil || c.AccessToken != "n" {
				b.Fatal(c, err)
			}
		}
	})
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

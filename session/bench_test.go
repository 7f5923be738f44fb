package session

import (
	"context"
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

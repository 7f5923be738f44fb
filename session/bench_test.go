package session

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// hotPathSources are the ways to get a valid token in steady state, and
// golang.org/x/oauth2's ReuseTokenSource holding a valid token, which is
// what Latch is measured against: each returns a function that gets one
// token.
func hotPathSources(b *testing.B) map[string]func() error {
	b.Helper()
	store := &memStore{}
	now := time.Now()
	c := &Credentials{AccessToken: "a", RefreshToken: "r", Expiry: now.Add(time.Hour), ObtainedAt: now, SessionID: "s"}
	raw, _ := c.marshal()
	ctx := context.Background()
	_ = store.Set(ctx, "creds", raw)
	api := API{Audience: "https://orders.example.test/", Scopes: []string{"orders:read"}}
	named := &Credentials{AccessToken: "n", Expiry: now.Add(time.Hour), ObtainedAt: now, SessionID: "s"}
	records, _ := json.Marshal(map[string]record{"orders": recordOf(api, named)})
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
	// Each function holds one pointer, so that it is an object of 16
	// bytes: one of 32 (a pointer and a context) can share a cache line
	// with a testing.PB of b.RunParallel, which its worker writes on every
	// iteration, and the benchmark would measure that line going back and
	// forth between the cores.
	return map[string]func() error{
		"latch":             func() error { _, err := m.Credentials(context.Background(), time.Minute); return err },
		"latch-tokensource": func() error { _, err := ts.Token(); return err },
		"latch-named":       func() error { _, err := orders.Credentials(context.Background(), time.Minute); return err },
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

// storm asks get from callers goroutines at the same moment and waits for
// them all; only that is timed.
func storm(b *testing.B, callers int, get func() error) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			<-start
			if err := get(); err != nil {
				b.Error(err)
			}
		})
	}
	runtime.Gosched()
	b.StartTimer()
	close(start)
	wg.Wait()
	b.StopTimer()
}

// BenchmarkRenewalStorm is the moment a token expires with 1000 callers
// asking at once ("1000"), against one caller ("one"): Latch's
// Credentials, and oauth2.ReuseTokenSource over a refreshing source, on
// the real test provider (oidc-provider, on loopback). Each round starts
// from an expired access token and the refresh token the last round
// left; only the callers' wait is timed. requests/op counts the refresh
// requests that reached the provider.
//
// "floor" is the least 1000 callers can cost here, with no provider at
// all; "latch-far" is Latch's storm on a provider 20 ms away (the same
// provider behind a proxy that holds each token request back that long),
// as a provider across a network is.
func BenchmarkRenewalStorm(b *testing.B) {
	op := oidcprovider.Start(b, oidcprovider.Options{AccessTokenTTL: time.Hour})
	near := newStormPeer(b, op.Issuer)
	proxy := faultproxy.Start(b, func(issuer string) string {
		return oidcprovider.Start(b, oidcprovider.Options{AccessTokenTTL: time.Hour, Issuer: issuer}).Listening
	})
	proxy.SetFault(&faultproxy.Fault{Delay: 20 * time.Millisecond})
	far := newStormPeer(b, proxy.URL)
	// floor: the callers wait for a 2 ms sleep that one of them starts
	// (about one renewal here), with nothing else, so that the two waves
	// of goroutines (their release, then the wake-up) are all that is
	// measured beyond it.
	floor := func(b *testing.B) func() error {
		var once sync.Once
		done := make(chan struct{})
		return func() error {
			once.Do(func() { go func() { time.Sleep(2 * time.Millisecond); close(done) }() })
			<-done
			return nil
		}
	}
	for _, c := range []struct {
		name    string
		rec     *recorder
		source  func(*testing.B) func() error
		callers int
	}{
		{"latch-one", near.rec, near.latch, 1}, {"latch-1000", near.rec, near.latch, 1000},
		{"oauth2-one", near.rec, near.reuse, 1}, {"oauth2-1000", near.rec, near.reuse, 1000},
		{"floor-one", near.rec, floor, 1}, {"floor-1000", near.rec, floor, 1000},
		{"latch-far-one", far.rec, far.latch, 1}, {"latch-far-1000", far.rec, far.latch, 1000},
	} {
		b.Run(c.name, func(b *testing.B) {
			before := len(c.rec.grants("refresh_token"))
			b.StopTimer()
			for range b.N { // not b.Loop: each round sets up with the timer stopped
				storm(b, c.callers, c.source(b))
			}
			b.StartTimer()
			b.ReportMetric(float64(len(c.rec.grants("refresh_token"))-before)/float64(b.N), "requests/op")
		})
	}
}

// stormPeer is a session signed in at a provider, from which each round
// of a renewal storm starts: its store keeps the latest refresh token.
type stormPeer struct {
	cfg   Config
	store *memStore
	rec   *recorder // every request to the provider
	p     *Provider
}

// newStormPeer signs alice in at the provider of issuer.
func newStormPeer(b *testing.B, issuer string) *stormPeer {
	b.Helper()
	s := &stormPeer{store: &memStore{}, rec: &recorder{}}
	client := &http.Client{Transport: s.rec, Timeout: 30 * time.Second}
	s.cfg = Config{Issuer: issuer, ClientID: oidcprovider.ClientID, Store: s.store, HTTPClient: client, LockDir: b.TempDir(), ManualRenewal: true}
	m, err := New(s.cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	if _, err := m.LoginWithBrowser(ctx, BrowserLogin{OpenURL: testbrowser.NewBrowser("alice", oidcprovider.Accounts["alice"]).OpenURL}); err != nil {
		b.Fatal(err)
	}
	if s.p, err = m.Provider(ctx); err != nil {
		b.Fatal(err)
	}
	s.cfg.StoreKey = m.cfg.StoreKey
	return s
}

// latch makes a Manager whose stored access token has expired, its
// provider discovered and its store read, as a running program's is.
func (s *stormPeer) latch(b *testing.B) func() error {
	ctx := context.Background()
	c := unmarshalStored(b, s.store, s.cfg.StoreKey)
	c.Expiry = time.Now().Add(-time.Second)
	raw, _ := c.marshal()
	_ = s.store.Set(ctx, s.cfg.StoreKey, raw)
	m, err := New(s.cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	if _, err := m.Provider(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := m.Held(ctx); err != nil {
		b.Fatal(err)
	}
	return func() error { _, err := m.Credentials(ctx, time.Minute); return err }
}

// reuse is ReuseTokenSource holding an expired token, refreshing with the
// latest refresh token; what it gets is stored for the next round.
func (s *stormPeer) reuse(b *testing.B) func() error {
	ctx := context.Background()
	conf := oauthConfig(oidcprovider.ClientID, "", nil, s.p, "")
	stored := unmarshalStored(b, s.store, s.cfg.StoreKey)
	src := oauth2.ReuseTokenSource(nil, conf.TokenSource(withHTTPClient(ctx, s.cfg.HTTPClient), &oauth2.Token{RefreshToken: stored.RefreshToken, Expiry: time.Now().Add(-time.Second)}))
	var once sync.Once
	return func() error {
		tok, err := src.Token()
		if err == nil {
			once.Do(func() {
				c := unmarshalStored(b, s.store, s.cfg.StoreKey)
				c.RefreshToken = tok.RefreshToken
				raw, _ := c.marshal()
				_ = s.store.Set(ctx, s.cfg.StoreKey, raw)
			})
		}
		return err
	}
}

// unmarshalStored reads the credentials stored under key.
func unmarshalStored(b *testing.B, store Store, key string) *Credentials {
	b.Helper()
	raw, err := store.Get(context.Background(), key)
	if err != nil {
		b.Fatal(err)
	}
	c, err := unmarshalCredentials(raw)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

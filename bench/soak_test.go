package bench

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/session"
)

// soakFor is how long each soak runs: LATCH_SOAK, or 60 s.
func soakFor(b *testing.B) time.Duration {
	if v := os.Getenv("LATCH_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("LATCH_SOAK: %v", err)
		}
		return d
	}
	return time.Minute
}

// signIn signs alice in to op on a store of its own, and returns the
// Manager (closed when the benchmark ends).
func signIn(b *testing.B, op *oidcprovider.Provider, manual bool) *session.Manager {
	b.Helper()
	m := sessiontest.NewManager(b, session.Config{Issuer: op.Issuer, ClientID: oidcprovider.ClientID, LockDir: b.TempDir(), ManualRenewal: manual})
	sessiontest.Login(b, m, "alice", oidcprovider.Accounts["alice"])
	return m
}

// soak has callers ask get continuously (with a pause of 100 µs between
// calls, as a busy program would) for the length given, and reports the
// calls, the calls that took more than a millisecond (which waited on the
// network: a hot path answers in well under a microsecond) and the worst.
func soak(b *testing.B, length time.Duration, callers int, get func() error) {
	var mu sync.Mutex
	var calls, waited int
	var worst time.Duration
	var wg sync.WaitGroup
	end := time.Now().Add(length)
	b.ResetTimer()
	for range callers {
		wg.Go(func() {
			var n, w int
			var top time.Duration
			for time.Now().Before(end) {
				start := time.Now()
				if err := get(); err != nil {
					b.Error(err)
					return
				}
				d := time.Since(start)
				n++
				if d > time.Millisecond {
					w++
				}
				top = max(top, d)
				time.Sleep(100 * time.Microsecond)
			}
			mu.Lock()
			calls, waited, worst = calls+n, waited+w, max(worst, top)
			mu.Unlock()
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(calls), "calls")
	b.ReportMetric(float64(waited), "waited-calls")
	b.ReportMetric(float64(worst.Microseconds()), "worst-µs")
}

// BenchmarkSoak asks for a token continuously while access tokens live 2
// seconds, at the real test provider: Latch's Manager, whose scheduler
// renews ahead of expiry, against oauth2.ReuseTokenSource, which renews
// when a caller finds the token expired, and makes that caller wait.
func BenchmarkSoak(b *testing.B) {
	length := soakFor(b)
	op := oidcprovider.Start(b, oidcprovider.Options{AccessTokenTTL: 2 * time.Second})
	b.Run("latch", func(b *testing.B) {
		m := signIn(b, op, false)
		ctx := context.Background()
		soak(b, length, 2, func() error { _, err := m.Credentials(ctx, 0); return err })
	})
	b.Run("oauth2", func(b *testing.B) {
		m := signIn(b, op, true)
		c, err := m.Held(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		p, err := m.Provider(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		conf := &oauth2.Config{ClientID: oidcprovider.ClientID, Endpoint: oauth2.Endpoint{TokenURL: p.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams}}
		// The token is taken as valid until it expires, as Latch's is
		// (x/oauth2 otherwise renews 10 s early, every call here).
		src := oauth2.ReuseTokenSourceWithExpiry(nil, conf.TokenSource(context.Background(),
			&oauth2.Token{AccessToken: c.AccessToken, RefreshToken: c.RefreshToken, Expiry: c.Expiry}), time.Millisecond)
		soak(b, length, 2, func() error { _, err := src.Token(); return err })
	})
}

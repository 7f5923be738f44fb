package session

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"
)

// providerCache holds a [Manager]'s discovered provider and its ID token
// verifier for the Manager's life. A failed discovery is not kept: the
// next call tries again.
type providerCache struct {
	issuer   string
	clientID string
	http     *http.Client
	now      func() time.Time // the provider's time, for the verifier
	leeway   time.Duration
	log      *slog.Logger
	keysCtx  context.Context // ends the key refresh goroutine

	mu       sync.Mutex
	prov     *Provider
	verifier *verifier
}

// discoveryTimeout bounds discovery, whatever its caller's deadline.
const discoveryTimeout = 30 * time.Second

// get returns the provider and verifier, discovering them the first time.
func (c *providerCache) get(ctx context.Context) (*Provider, *verifier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prov != nil {
		return c.prov, c.verifier, nil
	}
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	p, err := discover(ctx, c.http, c.issuer)
	if err != nil {
		return nil, nil, err
	}
	keys, err := remoteKeySet(c.keysCtx, c.http, p.JWKSURI, c.log)
	if err != nil {
		return nil, nil, &providerProblem{problem: "the signing keys cannot be fetched", err: err}
	}
	c.prov = p
	c.verifier = newVerifier(keys, verifierConfig{
		Issuer:     p.Issuer,
		ClientID:   c.clientID,
		Algorithms: intersect(defaultAlgorithms, p.IDTokenSigningAlgs),
		Leeway:     c.leeway,
		Now:        c.now,
	})
	return c.prov, c.verifier, nil
}

// intersect keeps the allowed algorithms the provider says it uses; when it
// says nothing, or nothing in common, all allowed ones.
func intersect(allowed, offered []string) []string {
	if len(offered) == 0 {
		return allowed
	}
	var out []string
	for _, a := range allowed {
		if slices.Contains(offered, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return allowed
	}
	return out
}

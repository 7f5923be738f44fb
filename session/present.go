package session

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// presented is an access token ready to authorize requests: a bearer
// token, or a DPoP token with the key it is bound to.
type presented struct {
	token string
	key   *dpopKey // nil: a bearer token
	now   func() time.Time
}

// present is t's token, valid for at least minTTL, ready to authorize
// requests: its key is read when it is bound.
func (t *token) present(ctx context.Context, minTTL time.Duration) (presented, error) {
	c, err := t.get(ctx, minTTL)
	if err != nil {
		return presented{}, err
	}
	m := t.m
	p := presented{token: c.AccessToken, now: m.providerNow}
	if !c.bound() {
		return p, nil
	}
	key, err := m.keyFor(ctx, c)
	if err != nil {
		return presented{}, err
	}
	if key == nil {
		return presented{}, fmt.Errorf("%w: a DPoP token without a key", ErrDPoPKeyLost)
	}
	p.key = key
	return p, nil
}

// apply sets the headers that authorize a request of method to target,
// with the nonce the server gave last: "Authorization: Bearer", or
// "Authorization: DPoP" and a fresh "DPoP" proof that covers the token.
func (p presented) apply(h http.Header, method string, target *url.URL, nonce string) error {
	if p.key == nil {
		h.Set("Authorization", "Bearer "+p.token)
		return nil
	}
	proof, err := p.key.proof(method, target, nonce, p.token, p.now())
	if err != nil {
		return err
	}
	h.Set("Authorization", "DPoP "+p.token)
	h.Set("DPoP", proof)
	return nil
}

package session

import (
	"context"
	"errors"
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

// presentation is c ready to authorize requests, its key read when it is
// bound.
func (m *Manager) presentation(ctx context.Context, c *Credentials) (presented, error) {
	p := presented{token: c.AccessToken, now: m.providerNow}
	if !c.Bound() {
		return p, nil
	}
	key, err := m.keyFor(ctx, c)
	if err != nil {
		return presented{}, err
	}
	if key == nil {
		return presented{}, fmt.Errorf("%w: a DPoP token without a key", ErrDPoPKeyMissing)
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

// authorizer is a token source of a [Manager]: the session's own or a
// named token. [Transport] asks it, rather than Token, for what
// authorizes a request, and for a new token when a server refuses one.
type authorizer interface {
	present(ctx context.Context) (presented, error)
	// renewAfter gets a new token when refused is still the one held.
	renewAfter(ctx context.Context, refused string) error
	manager() *Manager
}

// Header returns the header lines that authorize one request of method
// to target with the session's access token: "Authorization: Bearer
// TOKEN", or for a DPoP token "Authorization: DPoP TOKEN" and a "DPoP"
// proof made for this method and address, carrying the last nonce the
// server gave. The token is valid for at least 10 seconds. A proof is
// good for one request: ask again for the next.
//
// Errors: those of [Manager.Credentials]; an address that is not https
// off this machine (see [SecureURL]).
func (m *Manager) Header(ctx context.Context, method, target string) (http.Header, error) {
	return header(ctx, tokenSource{m: m, minTTL: clientMinTTL}, method, target)
}

func header(ctx context.Context, a authorizer, method, target string) (http.Header, error) {
	u, err := url.Parse(target)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http or https address", target)
	}
	if !SecureURL(target) {
		return nil, fmt.Errorf("%s is not https: the access token would be sent in clear", u.Redacted())
	}
	if method == "" {
		return nil, errors.New("a request method is required")
	}
	p, err := a.present(ctx)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	if err := p.apply(h, method, u, a.manager().nonces.get(u)); err != nil {
		return nil, err
	}
	return h, nil
}

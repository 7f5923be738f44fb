package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// tokenTimeout bounds a [Manager.TokenSource]'s Token call, which has no
// context of its own.
const tokenTimeout = time.Minute

// TokenSource returns the session as an [oauth2.TokenSource]: each Token
// call returns an access token valid for at least minTTL, from memory in
// steady state and renewed when needed, exactly as [Manager.Credentials].
// Any Go library that accepts a token source (oauth2.NewClient,
// google.golang.org/api, gRPC's oauth credentials) then runs on this
// session.
//
// The source is safe for concurrent use and needs no ReuseTokenSource
// around it: the Manager caches and renews. In steady state Token takes
// no lock and allocates nothing; the token it returns is shared, as
// ReuseTokenSource's is, and must not be changed. A Token call that must renew
// waits at most a minute.
//
// [oauth2.TokenSource]: https://pkg.go.dev/golang.org/x/oauth2#TokenSource
func (m *Manager) TokenSource(minTTL time.Duration) oauth2.TokenSource {
	return tokenSource{m: m, minTTL: minTTL}
}

type tokenSource struct {
	m      *Manager
	minTTL time.Duration
}

// Token implements [oauth2.TokenSource].
func (s tokenSource) Token() (*oauth2.Token, error) {
	if h, ok := s.m.hotToken(s.minTTL); ok {
		return h.tok, nil
	}
	return s.slowToken()
}

// slowToken is Token when the hot path has no token: it may renew.
func (s tokenSource) slowToken() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(s.m.ctx, tokenTimeout)
	defer cancel()
	c, err := s.m.Credentials(ctx, s.minTTL)
	if err != nil {
		return nil, err
	}
	return c.oauth2Token(), nil
}

func (s tokenSource) present(ctx context.Context) (presented, error) {
	c, err := s.m.Credentials(ctx, s.minTTL)
	if err != nil {
		return presented{}, err
	}
	return s.m.presentation(ctx, c)
}

// renewAfter renews the session's credentials when refused is still the
// access token held.
func (s tokenSource) renewAfter(ctx context.Context, refused string) error {
	c, err := s.m.load(ctx)
	if err != nil {
		return err
	}
	if c == nil || c.AccessToken != refused {
		return nil
	}
	_, err = s.m.Renew(ctx)
	return err
}

func (s tokenSource) manager() *Manager { return s.m }

// Client returns an [*http.Client] that authorizes each request with the
// session's current access token, renewing it first when it expires
// within 10 seconds: "Authorization: Bearer", or for DPoP tokens
// "Authorization: DPoP" and a fresh proof (see [Manager.Header]). The
// token is fetched with the request's own context. Its transport is a
// [Transport] based on ctx's [oauth2.HTTPClient] value when set, else on
// [Config.HTTPClient].
//
// A request that fails to get a token fails with that error (for example
// [ErrSignInRequired]); the request is not sent.
func (m *Manager) Client(ctx context.Context) *http.Client {
	return m.client(ctx, tokenSource{m: m, minTTL: clientMinTTL})
}

// client is an *http.Client whose transport authorizes requests with a.
func (m *Manager) client(ctx context.Context, a authorizer) *http.Client {
	base := m.cfg.HTTPClient
	if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && c != nil {
		base = c
	}
	return &http.Client{
		Transport:     &Transport{Source: a.(oauth2.TokenSource), Base: base.Transport},
		CheckRedirect: base.CheckRedirect,
		Jar:           base.Jar,
		Timeout:       base.Timeout,
	}
}

// clientMinTTL is how long a token that [Manager.Client] sends stays valid
// at least, so that it does not expire on its way.
const clientMinTTL = 10 * time.Second

// Transport is an [http.RoundTripper] that authorizes each request with a
// token source's token. Given a source of a [Manager] ([Manager.TokenSource],
// [NamedToken.TokenSource]), it gets the token with the request's
// context, sends DPoP tokens with a fresh proof per request, and sends a
// request once more when the server answers 401 with a nonce challenge
// (use_dpop_nonce: with its new nonce) or invalid_token (with a renewed
// token), when the body can be read again (http.NewRequest sets GetBody
// for the usual bodies). Given any other source, it sends Bearer tokens
// only. It refuses plain http off this machine (see [SecureURL]).
type Transport struct {
	// Source gives the tokens: [Manager.TokenSource],
	// [NamedToken.TokenSource], or any other.
	Source oauth2.TokenSource
	// Base sends the requests; nil means [http.DefaultTransport].
	Base http.RoundTripper
}

// RoundTrip implements [http.RoundTripper]. It does not change req: the
// headers are set on a copy.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	bodyClosed := false
	if req.Body != nil {
		defer func() {
			if !bodyClosed {
				req.Body.Close()
			}
		}()
	}
	if !SecureURL(req.URL.String()) {
		return nil, fmt.Errorf("%s is not https: the access token is sent in clear to this machine only", req.URL.Redacted())
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	a, ok := t.Source.(authorizer)
	if !ok {
		tok, err := t.Source.Token()
		if err != nil {
			return nil, err
		}
		if typ := tok.Type(); !strings.EqualFold(typ, "bearer") {
			return nil, errors.New("the token type " + typ + " cannot be sent as a bearer token")
		}
		out := req.Clone(req.Context())
		out.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		bodyClosed = true // the base transport closes it now
		return base.RoundTrip(out)
	}
	ctx := req.Context()
	m := a.manager()
	sent := 0
	for renewed := false; ; renewed = true {
		p, err := a.present(ctx)
		if err != nil {
			return nil, err
		}
		bodyClosed = true
		resp, err := sendSigned(req, sent, base, &m.nonces, func(out *http.Request, nonce string) error {
			sent++
			return p.apply(out.Header, req.Method, req.URL, nonce)
		})
		if err != nil || renewed || resp.StatusCode != http.StatusUnauthorized || !authChallenge(resp, "invalid_token") {
			return resp, err
		}
		if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			return resp, nil
		}
		if err := a.renewAfter(ctx, p.token); err != nil {
			return resp, nil // the server's answer says more than the renewal's failure
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
	}
}

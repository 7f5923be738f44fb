package session

import (
	"context"
	"errors"
	"fmt"
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
// around it: the Manager caches and renews. A Token call that must renew
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
	ctx, cancel := context.WithTimeout(s.m.ctx, tokenTimeout)
	defer cancel()
	return s.token(ctx)
}

func (s tokenSource) token(ctx context.Context) (*oauth2.Token, error) {
	c, err := s.m.Credentials(ctx, s.minTTL)
	if err != nil {
		return nil, err
	}
	return c.oauth2Token(), nil
}

// Client returns an [*http.Client] that sends each request with the
// session's current access token in its Authorization header, renewing the
// token first when it expires within 10 seconds. The token is fetched
// with the request's own context. Its transport is based on ctx's
// [oauth2.HTTPClient] value when set, else on [Config.HTTPClient].
//
// A request that fails to get a token fails with that error (for example
// [ErrSignInRequired]); the request is not sent.
func (m *Manager) Client(ctx context.Context) *http.Client {
	base := m.http
	if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && c != nil {
		base = c
	}
	return &http.Client{
		Transport:     &Transport{Source: tokenSource{m: m, minTTL: clientMinTTL}, Base: base.Transport},
		CheckRedirect: base.CheckRedirect,
		Jar:           base.Jar,
		Timeout:       base.Timeout,
	}
}

// clientMinTTL is how long a token that [Manager.Client] sends stays valid
// at least, so that it does not expire on its way.
const clientMinTTL = 10 * time.Second

// Transport is an [http.RoundTripper] that adds the Authorization header
// of a token source's token to each request. Unlike oauth2.Transport it
// asks a [Manager]'s source with the request's context, and it refuses
// token types other than Bearer and plain http off this machine (see
// [SecureURL]).
type Transport struct {
	// Source gives the tokens: [Manager.TokenSource], or any other.
	Source oauth2.TokenSource
	// Base sends the requests; nil means [http.DefaultTransport].
	Base http.RoundTripper
}

// RoundTrip implements [http.RoundTripper]. It does not change req: the
// header is set on a copy.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	bodyClosed := false
	if req.Body != nil {
		defer func() {
			if !bodyClosed {
				req.Body.Close()
			}
		}()
	}
	var tok *oauth2.Token
	var err error
	if s, ok := t.Source.(tokenSource); ok {
		tok, err = s.token(req.Context())
	} else {
		tok, err = t.Source.Token()
	}
	if err != nil {
		return nil, err
	}
	if !SecureURL(req.URL.String()) {
		return nil, fmt.Errorf("%s is not https: the access token is sent in clear to this machine only", req.URL.Redacted())
	}
	typ := tok.Type()
	if !strings.EqualFold(typ, "bearer") {
		return nil, errors.New("the token type " + typ + " cannot be sent as a bearer token")
	}
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	bodyClosed = true // the base transport closes it now
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(out)
}

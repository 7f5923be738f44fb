package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/base/secureurl"
)

// tokenTimeout bounds a token source's Token call, which has no context
// of its own.
const tokenTimeout = time.Minute

// clientMinTTL is how long a token that a client or a header sends stays
// valid at least, so that it does not expire on its way.
const clientMinTTL = 10 * time.Second

// source is a token as an [oauth2.TokenSource]: the session's own
// ([Manager.TokenSource]) or a named one ([NamedToken.TokenSource]).
type source struct {
	t      *token
	minTTL time.Duration
}

// Token implements [oauth2.TokenSource].
func (s source) Token() (*oauth2.Token, error) {
	if h, ok := s.t.hotGet(s.minTTL); ok {
		return h.tok, nil
	}
	return s.slowToken()
}

// slowToken is Token when the hot path has no token: it may renew.
func (s source) slowToken() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(s.t.m.ctx, tokenTimeout)
	defer cancel()
	c, err := s.t.get(ctx, s.minTTL)
	if err != nil {
		return nil, err
	}
	return c.oauth2Token(), nil
}

// client is an *http.Client whose transport authorizes each request with
// t, built on the client that ctx carries under [oauth2.HTTPClient], else
// on [Config.HTTPClient].
func (t *token) client(ctx context.Context) *http.Client {
	base := t.m.cfg.HTTPClient
	if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && c != nil {
		base = c
	}
	return &http.Client{
		Transport:     &transport{src: source{t: t, minTTL: clientMinTTL}, base: base.Transport},
		CheckRedirect: base.CheckRedirect,
		Jar:           base.Jar,
		Timeout:       base.Timeout,
	}
}

// header returns the header lines that authorize one request of method
// to target with t (see [Manager.Header]).
func (t *token) header(ctx context.Context, method, target string) (http.Header, error) {
	u, err := url.Parse(target)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http or https address", target)
	}
	if !secureurl.Secure(target) {
		return nil, fmt.Errorf("%s is not https: the access token would be sent in clear", u.Redacted())
	}
	if method == "" {
		return nil, errors.New("a request method is required")
	}
	p, err := t.present(ctx, clientMinTTL)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	if err := p.apply(h, method, u, t.m.nonces.get(u)); err != nil {
		return nil, err
	}
	return h, nil
}

// transport authorizes each request with a token: it gets the token with
// the request's context, sends DPoP tokens with a fresh proof per request,
// and sends a request once more when the server answers 401 with a nonce
// challenge (use_dpop_nonce: with its new nonce) or invalid_token (with a
// renewed token), when the body can be read again (http.NewRequest sets
// GetBody for the usual bodies). It refuses plain http off this machine.
//
// The token is for the origin of the request the caller made, and goes
// nowhere else: a redirect to another origin is followed without it (and
// without a proof), and renews nothing. golang.org/x/oauth2's Transport
// sets the token on every hop, and Go's client strips an Authorization
// header on a redirect only when the caller set it.
type transport struct {
	src  source
	base http.RoundTripper // nil: http.DefaultTransport
}

// RoundTrip implements [http.RoundTripper]. It does not change req: the
// headers are set on a copy.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	bodyClosed := false
	if req.Body != nil {
		defer func() {
			if !bodyClosed {
				req.Body.Close()
			}
		}()
	}
	base := tr.base
	if base == nil {
		base = http.DefaultTransport
	}
	if !secureurl.SameOrigin(callerRequest(req).URL, req.URL) {
		bodyClosed = true // the base transport closes it now
		return base.RoundTrip(req)
	}
	if !secureurl.Secure(req.URL.String()) {
		return nil, fmt.Errorf("%s is not https: the access token is sent in clear to this machine only", req.URL.Redacted())
	}
	ctx := req.Context()
	t := tr.src.t
	sent := 0
	for renewed := false; ; renewed = true {
		p, err := t.present(ctx, tr.src.minTTL)
		if err != nil {
			return nil, err
		}
		bodyClosed = true
		resp, err := sendSigned(req, sent, base, &t.m.nonces, func(out *http.Request, nonce string) error {
			sent++
			return p.apply(out.Header, req.Method, req.URL, nonce)
		})
		if err != nil || renewed || resp.StatusCode != http.StatusUnauthorized || !authChallenge(resp, "invalid_token") {
			return resp, err
		}
		if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			return resp, nil
		}
		if err := t.renewAfter(ctx, p.token); err != nil {
			return resp, nil // the server's answer says more than the renewal's failure
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
	}
}

// callerRequest is the request the caller made, of which req is a
// redirect, or req itself: Go's client gives a redirect's request, in
// Response, the answer that caused it.
func callerRequest(req *http.Request) *http.Request {
	for req.Response != nil && req.Response.Request != nil {
		req = req.Response.Request
	}
	return req
}

package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/base/secureurl"
)

// Provider is what OpenID Connect discovery tells about the issuer of a
// [Manager]: its endpoints and where its signing keys are. Endpoints a
// provider does not offer are empty. Get it with [Manager.Provider].
type Provider struct {
	Issuer                      string   `json:"issuer"`
	AuthorizationEndpoint       string   `json:"authorization_endpoint"`
	TokenEndpoint               string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint string   `json:"device_authorization_endpoint"`
	RevocationEndpoint          string   `json:"revocation_endpoint"`
	UserinfoEndpoint            string   `json:"userinfo_endpoint"`
	EndSessionEndpoint          string   `json:"end_session_endpoint"`
	JWKSURI                     string   `json:"jwks_uri"`
	IDTokenSigningAlgs          []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethods        []string `json:"code_challenge_methods_supported"`
	ScopesSupported             []string `json:"scopes_supported"`
}

// maxDiscoveryBytes bounds the discovery document read.
const maxDiscoveryBytes = 1 << 20

// providerProblem is a provider that cannot be used as configured: its
// discovery document, or what it offers. It matches [ErrClientRejected],
// or wraps [ErrProviderUnreachable] when the document could not be
// fetched. Its text is the problem alone, for an application to word.
type providerProblem struct {
	problem string
	err     error
}

func (e *providerProblem) Error() string {
	if e.err != nil && !errors.Is(e.err, ErrProviderUnreachable) {
		return e.problem + ": " + e.err.Error()
	}
	return e.problem
}

func (e *providerProblem) Is(target error) bool {
	return target == ErrClientRejected && !errors.Is(e.err, ErrProviderUnreachable)
}

func (e *providerProblem) Unwrap() error { return e.err }

// discover fetches the discovery document of issuer
// (issuer + "/.well-known/openid-configuration") with client and checks
// it: it must name the same issuer and give the authorization, token and
// JWKS endpoints, each as safe as the issuer.
func discover(ctx context.Context, client *http.Client, issuer string) (*Provider, error) {
	issuer = strings.TrimSuffix(issuer, "/")
	fail := func(problem string, err error) error { return &providerProblem{problem: problem, err: err} }
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fail("the issuer is not an http(s) URL", nil)
	}
	if u.Scheme == "http" && !secureurl.Loopback(u.Hostname()) {
		return nil, fail("the issuer must use https (plain http is allowed on loopback only)", nil)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, fail("the discovery request cannot be made", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if errors.Is(err, ErrClientRejected) {
		return nil, err // a redirect to another origin
	}
	if err != nil {
		return nil, fail("the provider cannot be reached", fmt.Errorf("%w: %w", ErrProviderUnreachable, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes))
	if err != nil {
		return nil, fail("the discovery document could not be read", fmt.Errorf("%w: %w", ErrProviderUnreachable, err))
	}
	if resp.StatusCode != http.StatusOK {
		var cause error
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			cause = ErrProviderUnreachable
		}
		return nil, fail("discovery answered "+resp.Status, cause)
	}
	var p Provider
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fail("the discovery document is not JSON", nil)
	}
	if problem := p.check(issuer); problem != "" {
		return nil, fail(problem, nil)
	}
	return &p, nil
}

// check returns what makes p unusable for issuer, "" when nothing does.
func (p *Provider) check(issuer string) string {
	if strings.TrimSuffix(p.Issuer, "/") != issuer {
		return fmt.Sprintf("the discovery document names another issuer, %q", p.Issuer)
	}
	for _, e := range []struct{ name, value string }{
		{"authorization_endpoint", p.AuthorizationEndpoint},
		{"token_endpoint", p.TokenEndpoint},
		{"jwks_uri", p.JWKSURI},
	} {
		if e.value == "" {
			return "the discovery document has no " + e.name
		}
		if _, err := url.ParseRequestURI(e.value); err != nil {
			return e.name + " is not a URL"
		}
	}
	// Every endpoint is as safe as the issuer: https, unless the issuer
	// itself is plain http on this machine (and then on this machine too).
	for _, e := range []struct{ name, value string }{
		{"authorization_endpoint", p.AuthorizationEndpoint},
		{"token_endpoint", p.TokenEndpoint},
		{"jwks_uri", p.JWKSURI},
		{"device_authorization_endpoint", p.DeviceAuthorizationEndpoint},
		{"revocation_endpoint", p.RevocationEndpoint},
		{"userinfo_endpoint", p.UserinfoEndpoint},
		{"end_session_endpoint", p.EndSessionEndpoint},
	} {
		if e.value == "" {
			continue
		}
		if !secureurl.Secure(e.value) || (strings.HasPrefix(issuer, "https:") && !strings.HasPrefix(e.value, "https:")) {
			return e.name + " is not https: tokens would travel in clear"
		}
	}
	if len(p.CodeChallengeMethods) > 0 && !slices.Contains(p.CodeChallengeMethods, "S256") {
		return "the provider does not support PKCE with S256"
	}
	return ""
}

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

// maxProviderAnswer bounds every answer read from the provider: discovery,
// signing keys, token, device and revocation answers. The largest of them
// (a JWK Set, a discovery document) are a few kilobytes.
const maxProviderAnswer = 1 << 20

// providerClient is the client of every request to the provider, made
// from base ([Config.HTTPClient]): it reads the provider's clock from the
// Date headers of its answers (see skew), reads no answer past
// maxProviderAnswer, and follows a redirect only within the origin of the
// request it answers, over a secure URL, so that a token endpoint cannot
// send a refresh token on to another server. Base's Timeout is not kept:
// each request is bounded by its call instead, so that a renewal, which
// outlives its callers, stores an answer that comes late.
func providerClient(base *http.Client, now func() time.Time, sk *skew) *http.Client {
	c := *base
	c.Timeout = 0
	c.Transport = &providerTransport{base: base.Transport, now: now, skew: sk}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if from := via[0].URL; !secureurl.SameOrigin(from, req.URL) || !secureurl.Secure(req.URL.String()) {
			return &providerProblem{problem: fmt.Sprintf("it sent a request for %s on to %s, another origin, which is not followed", secureurl.Origin(from), secureurl.Origin(req.URL))}
		}
		if base.CheckRedirect != nil {
			return base.CheckRedirect(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// providerTransport is the transport of every request to the provider.
type providerTransport struct {
	base http.RoundTripper // nil: http.DefaultTransport
	now  func() time.Time
	skew *skew
}

// RoundTrip implements [http.RoundTripper].
func (t *providerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if date, derr := http.ParseTime(resp.Header.Get("Date")); derr == nil {
		t.skew.observe(date, t.now())
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body}
	return resp, nil
}

// errAnswerTooLarge is a provider's answer longer than maxProviderAnswer.
var errAnswerTooLarge = fmt.Errorf("%w: the answer is larger than %d bytes", ErrMalformedAnswer, maxProviderAnswer)

// cappedBody reads a body of up to maxProviderAnswer bytes, and fails
// past them.
type cappedBody struct {
	io.ReadCloser
	read int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.read > maxProviderAnswer {
		return 0, errAnswerTooLarge
	}
	if room := maxProviderAnswer + 1 - b.read; int64(len(p)) > room {
		p = p[:room] // one byte past the cap says there is more
	}
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if over := b.read - maxProviderAnswer; over > 0 {
		return n - int(over), errAnswerTooLarge
	}
	return n, err
}

// maxTokenAnswer bounds how much of a token response is read.
const maxTokenAnswer = 1 << 20

// postToken makes one token request (RFC 6749 section 3.2) with form, as
// a public client: renewals, with the resource or audience of a named
// token when one is asked for, which golang.org/x/oauth2 cannot add to a
// refresh. An error answer is an [*oauth2.RetrieveError], so that
// [providerError] classes it as it classes the answers to
// golang.org/x/oauth2's requests; an answer that is not a token response
// wraps [ErrMalformedAnswer].
func postToken(ctx context.Context, client *http.Client, endpoint string, form url.Values) (*oauth2.Token, error) {
	resp, body, err := postForm(ctx, client, endpoint, form)
	if err != nil {
		return nil, err
	}
	var answer struct {
		AccessToken  string      `json:"access_token"`
		TokenType    string      `json:"token_type"`
		RefreshToken string      `json:"refresh_token"`
		ExpiresIn    json.Number `json:"expires_in"`
	}
	parseErr := json.Unmarshal(body, &answer)
	if err := answerError(resp, body); err != nil {
		return nil, err
	}
	if parseErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedAnswer, parseErr)
	}
	if answer.AccessToken == "" {
		return nil, fmt.Errorf("%w: no access token in it", ErrMalformedAnswer)
	}
	raw := map[string]any{}
	_ = json.Unmarshal(body, &raw) // the same bytes parsed above
	tok := &oauth2.Token{AccessToken: answer.AccessToken, TokenType: answer.TokenType, RefreshToken: answer.RefreshToken}
	if secs, err := answer.ExpiresIn.Int64(); err == nil && secs > 0 {
		tok.ExpiresIn = secs
	}
	return tok.WithExtra(raw), nil
}

// postForm posts form to endpoint and reads the answer.
func postForm(ctx context.Context, client *http.Client, endpoint string, form url.Values) (*http.Response, []byte, error) {
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, spent(err, wrote.Load())
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer))
	resp.Body.Close()
	if err != nil {
		return nil, nil, spent(err, true)
	}
	return resp, body, nil
}

// errMaybeSpent marks a failure of a token request that was sent, whose
// answer never came (a timeout, a connection cut): the provider may have
// processed it, and spent the refresh token in it. It is not sent again
// by the same call; a failure to connect, or a transient answer, may be.
var errMaybeSpent = errors.New("the request was sent and no answer came")

// spent marks err with errMaybeSpent when the request was written.
func spent(err error, wrote bool) error {
	if !wrote {
		return err
	}
	return fmt.Errorf("%w: %w", errMaybeSpent, err)
}

// answerError is the [*oauth2.RetrieveError] of an error answer (RFC 6749
// section 5.2): an error status, or an error code with any status; nil
// for a success.
func answerError(resp *http.Response, body []byte) error {
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		ErrorURI         string `json:"error_uri"`
	}
	parsed := json.Unmarshal(body, &e) == nil
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 && (!parsed || e.Error == "") {
		return nil
	}
	return &oauth2.RetrieveError{
		Response: resp, Body: body,
		ErrorCode: e.Error, ErrorDescription: e.ErrorDescription, ErrorURI: e.ErrorURI,
	}
}

// skew is how far the provider's clock is ahead of ours, learnt from the
// Date headers of its answers. ID tokens are checked against the
// provider's time, so that a local clock that is minutes fast or slow
// does not reject them; access-token expiry needs no correction, as it is
// reckoned from expires_in on the local clock.
type skew struct{ ns atomic.Int64 }

func (s *skew) get() time.Duration { return time.Duration(s.ns.Load()) }

// observe learns from an answer dated date, received at local time now.
// Date has a resolution of a second, so a difference under two seconds
// is taken as none.
func (s *skew) observe(date, now time.Time) {
	d := date.Sub(now)
	if d > -2*time.Second && d < 2*time.Second {
		d = 0
	}
	s.ns.Store(int64(d))
}

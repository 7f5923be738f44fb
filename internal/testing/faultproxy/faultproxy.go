// Package faultproxy stands, in tests, between Latch and a real OpenID
// provider: it forwards every request (keeping the Host header, so that a
// provider started with the proxy as its issuer names its endpoints on
// the proxy), records the refresh tokens that the token endpoint issues,
// and answers with faults on demand: error statuses, Retry-After,
// malformed or HTML answers, reset connections, slow answers, or no
// answer at all (the provider unreachable).
package faultproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is what the token endpoint answers instead of the provider.
type Fault struct {
	// Status, ContentType, Header and Body make the answer.
	Status      int
	ContentType string
	Header      map[string]string
	Body        string
	// RetryAfterDate, when set, sends a Retry-After header that is an HTTP
	// date this far ahead of the answer.
	RetryAfterDate time.Duration
	// Reset closes the connection without an answer.
	Reset bool
	// Delay holds the answer back this long before forwarding it.
	Delay time.Duration
	// HoldAnswer forwards the request to the provider at once, which
	// processes it (and may rotate a refresh token), and holds its answer
	// back this long, whether or not the client still waits: a provider
	// that answers late.
	HoldAnswer time.Duration
	// Times is how many token requests get the fault; 0 means all of them
	// until the fault is changed.
	Times int
}

// Proxy is a running proxy.
type Proxy struct {
	// URL is the proxy's address: the issuer to give the provider.
	URL string

	t        testing.TB
	addr     string
	mu       sync.Mutex
	srv      *http.Server
	target   *url.URL
	fault    *Fault
	issued   []string
	secrets  []string
	requests []time.Time
}

// Secrets returns every secret that passed through: the codes, PKCE
// verifiers and tokens of token requests, the tokens and device codes of
// answers, and the authorization codes of redirects.
func (p *Proxy) Secrets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.secrets...)
}

// keep records the non-empty values as secrets.
func (p *Proxy) keep(values ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range values {
		if v != "" {
			p.secrets = append(p.secrets, v)
		}
	}
}

// Listen starts a proxy on a free loopback port until the test ends; it
// forwards nothing until Forward names the provider.
func Listen(t testing.TB) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, addr: ln.Addr().String(), URL: "http://" + ln.Addr().String()}
	p.serve(ln)
	t.Cleanup(p.Down)
	return p
}

// Forward sends requests to the provider listening at target.
func (p *Proxy) Forward(target string) {
	u, err := url.Parse(target)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.target = u
	p.mu.Unlock()
}

// SetFault makes the token endpoint answer with f (nil: the provider's
// own answers again).
func (p *Proxy) SetFault(f *Fault) {
	p.mu.Lock()
	p.fault = f
	p.mu.Unlock()
}

// Issued returns every refresh token the token endpoint handed out.
func (p *Proxy) Issued() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.issued...)
}

// TokenRequests returns when each request to the token endpoint came.
func (p *Proxy) TokenRequests() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.requests...)
}

// Down stops accepting connections: the provider is unreachable, and a
// connection attempt is refused.
func (p *Proxy) Down() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Up accepts connections again, on the same address.
func (p *Proxy) Up() {
	var ln net.Listener
	var err error
	for range 50 { // the port may take a moment to be free again
		if ln, err = net.Listen("tcp4", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("the proxy cannot listen on %s again: %v", p.addr, err)
	}
	p.serve(ln)
}

func (p *Proxy) serve(ln net.Listener) {
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			p.mu.Lock()
			target := p.target
			p.mu.Unlock()
			r.SetURL(target)
			r.Out.Host = r.In.Host
		},
		ModifyResponse: p.record,
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.Body != nil {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if form, err := url.ParseQuery(string(body)); err == nil {
				p.keep(form.Get("code"), form.Get("code_verifier"), form.Get("refresh_token"), form.Get("device_code"), form.Get("token"))
			}
		}
		handled, hold := p.faulty(w, r)
		if handled {
			return
		}
		if hold > 0 {
			// The provider processes the request whether the client waits
			// or not; the client gets the answer late, if it is still
			// there.
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r.Clone(context.WithoutCancel(r.Context())))
			select {
			case <-r.Context().Done():
				return
			case <-time.After(hold):
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		rp.ServeHTTP(w, r)
	})}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// isToken reports whether r is for the token endpoint.
func isToken(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token")
}

// faulty answers r with the fault, if one applies, and reports whether it
// did, or how long the provider's answer is to be held back.
func (p *Proxy) faulty(w http.ResponseWriter, r *http.Request) (bool, time.Duration) {
	if !isToken(r) {
		return false, 0
	}
	p.mu.Lock()
	p.requests = append(p.requests, time.Now())
	f := p.fault
	if f != nil && f.Times > 0 {
		f.Times--
		if f.Times == 0 {
			p.fault = nil
		}
	}
	p.mu.Unlock()
	if f == nil {
		return false, 0
	}
	if f.HoldAnswer > 0 {
		return false, f.HoldAnswer
	}
	if f.Delay > 0 {
		// Read the request first, so that the client giving up is seen:
		// a request whose client is gone is not forwarded.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		select {
		case <-r.Context().Done():
			return true, 0
		case <-time.After(f.Delay):
		}
		if f.Status == 0 && !f.Reset {
			return false, 0 // a slow answer, but the provider's own
		}
	}
	if f.Reset {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tcp, ok := conn.(*net.TCPConn); ok {
					_ = tcp.SetLinger(0) // a reset, not a clean close
				}
				conn.Close()
				return true, 0
			}
		}
	}
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	if f.RetryAfterDate > 0 {
		w.Header().Set("Retry-After", time.Now().Add(f.RetryAfterDate).UTC().Format(http.TimeFormat))
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, f.Body)
	return true, 0
}

// record keeps the refresh token of a token endpoint's answer, and the
// secrets of every answer.
func (p *Proxy) record(resp *http.Response) error {
	if loc, err := url.Parse(resp.Header.Get("Location")); err == nil {
		p.keep(loc.Query().Get("code"))
	}
	if resp.Request.Method != http.MethodPost || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		IDToken      string `json:"id_token"`
		DeviceCode   string `json:"device_code"`
	}
	if json.Unmarshal(body, &tok) != nil {
		return nil
	}
	p.keep(tok.AccessToken, tok.RefreshToken, tok.IDToken, tok.DeviceCode)
	if isToken(resp.Request) && tok.RefreshToken != "" {
		p.mu.Lock()
		p.issued = append(p.issued, tok.RefreshToken)
		p.mu.Unlock()
	}
	return nil
}

// Start runs a proxy in front of a provider that start launches with the
// proxy's URL as its issuer, and returns where the provider listens.
func Start(t testing.TB, start func(issuer string) (listening string)) *Proxy {
	t.Helper()
	p := Listen(t)
	p.Forward(start(p.URL))
	return p
}

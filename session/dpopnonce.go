package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/latchapp/latch/base/secureurl"
)

// dpopNonces remembers the latest DPoP-Nonce that each server (by origin)
// gave (RFC 9449 section 8), so that the next proof to it carries it
// without first being refused.
type dpopNonces struct {
	mu       sync.Mutex
	byOrigin map[string]string
}

func (n *dpopNonces) get(u *url.URL) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.byOrigin[secureurl.Origin(u)]
}

// note keeps the nonce that resp carries, if any.
func (n *dpopNonces) note(u *url.URL, resp *http.Response) {
	v := resp.Header.Get("DPoP-Nonce")
	if v == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.byOrigin == nil {
		n.byOrigin = make(map[string]string)
	}
	n.byOrigin[secureurl.Origin(u)] = v
}

// nonceChallenge reports whether resp refuses a DPoP proof for want of a
// fresh nonce, and gives one: a 400 use_dpop_nonce from an authorization
// server, or a 401 whose WWW-Authenticate says use_dpop_nonce from a
// resource server. A 400's body is read and put back.
func nonceChallenge(resp *http.Response) bool {
	if resp.Header.Get("DPoP-Nonce") == "" {
		return false
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return authChallenge(resp, "use_dpop_nonce")
	case http.StatusBadRequest:
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if err != nil {
			return false
		}
		var body struct {
			Error string `json:"error"`
		}
		return json.Unmarshal(b, &body) == nil && body.Error == "use_dpop_nonce"
	}
	return false
}

// authChallenge reports whether a 401's WWW-Authenticate header names the
// error code (RFC 6750 section 3, RFC 9449 section 7.1).
func authChallenge(resp *http.Response, code string) bool {
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if strings.Contains(v, `error="`+code+`"`) || strings.Contains(v, "error="+code) {
			return true
		}
	}
	return false
}

// errNoReplay means a request cannot be sent again: its body cannot be
// read a second time.
var errNoReplay = errors.New("the request body cannot be sent again")

// attempt is the n-th sending of req (from 0): a copy with its body
// ready.
func attempt(req *http.Request, n int) (*http.Request, error) {
	out := req.Clone(req.Context())
	if n > 0 && req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, errNoReplay
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		out.Body = body
	}
	return out, nil
}

// sendSigned sends req through base with the headers that sign sets
// (given the nonce the server asked for last), and once more with the new
// nonce when the server answers with a nonce challenge. n counts earlier
// sendings of req, for its body.
func sendSigned(req *http.Request, n int, base http.RoundTripper, nonces *dpopNonces, sign func(out *http.Request, nonce string) error) (*http.Response, error) {
	for retried := false; ; retried = true {
		out, err := attempt(req, n)
		if err != nil {
			return nil, err
		}
		n++
		if err := sign(out, nonces.get(req.URL)); err != nil {
			if out.Body != nil {
				out.Body.Close()
			}
			return nil, err
		}
		resp, err := base.RoundTrip(out)
		if err != nil {
			return nil, err
		}
		nonces.note(req.URL, resp)
		if retried || !nonceChallenge(resp) || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
	}
}

// proofTransport adds a DPoP proof to each request to the provider (token
// requests at sign-in, renewal and for named tokens), and answers a nonce
// challenge once.
type proofTransport struct {
	base   http.RoundTripper
	key    *dpopKey
	nonces *dpopNonces
	now    func() time.Time
}

// RoundTrip implements [http.RoundTripper].
func (t *proofTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return sendSigned(req, 0, base, t.nonces, func(out *http.Request, nonce string) error {
		proof, err := t.key.proof(req.Method, req.URL, nonce, "", t.now())
		if err != nil {
			return err
		}
		out.Header.Set("DPoP", proof)
		return nil
	})
}

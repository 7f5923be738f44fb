package session

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/latchapp/latch/base/secureurl"
)

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

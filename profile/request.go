package profile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"

	"github.com/latchapp/latch/session"
)

// maxResponseBytes bounds what is read of an answer.
const maxResponseBytes = 1 << 20

// answer is a response read whole.
type answer struct {
	status int
	text   string // e.g. "401 Unauthorized"
	body   []byte
}

// send makes one request with client, which authorizes it (a
// [session.Manager]'s Client, or any oauth2 client), with body (when not
// nil) as JSON, and reads the answer. what names the call in errors.
// Network failures match [session.ErrProviderUnreachable]; a failure to
// get a token is returned as it is (for example
// [session.ErrSignInRequired]).
func send(ctx context.Context, client *http.Client, what, method, target string, body any) (*answer, error) {
	if client == nil {
		return nil, fmt.Errorf("%s: no HTTP client given", what)
	}
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, requestError(what, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, requestError(what, err)
	}
	return &answer{status: resp.StatusCode, text: resp.Status, body: raw}, nil
}

// requestError marks a network failure as [session.ErrProviderUnreachable]
// and leaves any other failure (no token, cancelled) as it is.
func requestError(what string, err error) error {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	var op *net.OpError
	var dns *net.DNSError
	if errors.As(inner, &op) || errors.As(inner, &dns) || errors.Is(inner, io.EOF) || errors.Is(inner, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: %w: %w", what, session.ErrProviderUnreachable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

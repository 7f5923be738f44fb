package profile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"latch/session"
)

// maxResponseBytes bounds what is read of an answer.
const maxResponseBytes = 1 << 20

// answer is a response read whole.
type answer struct {
	status int
	text   string // e.g. "401 Unauthorized"
	body   []byte
}

// authorized sends one request with the access token of creds, body (when
// not nil) as JSON, using client (nil: http.DefaultClient), and reads the
// answer. what names the call in errors; failures to reach the provider
// wrap session.ErrProviderUnreachable.
func authorized(ctx context.Context, client *http.Client, creds *session.Credentials, what, method, target string, body any) (*answer, error) {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("profile: %s: %w", what, err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, r)
	if err != nil {
		return nil, fmt.Errorf("profile: %s: %w", what, err)
	}
	req.Header.Set("Authorization", creds.AuthorizationHeader())
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("profile: %s: %w: %w", what, session.ErrProviderUnreachable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("profile: %s: %w: %w", what, session.ErrProviderUnreachable, err)
	}
	return &answer{status: resp.StatusCode, text: resp.Status, body: raw}, nil
}

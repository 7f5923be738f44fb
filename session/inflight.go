package session

import (
	"context"
	"fmt"
	"sync"
)

// inflight runs one renewal at a time: callers that arrive while one runs
// share its result, as go-oidc's inflight shares a key set fetch. The work
// runs on a goroutine of its own with its own deadline, so that one caller
// giving up does not cancel it for the others. The zero value is ready.
type inflight struct {
	mu   sync.Mutex
	call *flight
}

// flight is one run; its result is set before done is closed.
type flight struct {
	done  chan struct{}
	creds *Credentials
	err   error
}

// do joins the run in progress or starts work on a new goroutine, then
// waits for its result or for ctx to end. The result is the caller's own
// copy.
func (f *inflight) do(ctx context.Context, work func() (*Credentials, error)) (*Credentials, error) {
	f.mu.Lock()
	call := f.call
	if call == nil {
		call = &flight{done: make(chan struct{})}
		f.call = call
		go func() {
			creds, err := work()
			f.mu.Lock()
			f.call = nil
			call.creds, call.err = creds, err
			f.mu.Unlock()
			close(call.done)
		}()
	}
	f.mu.Unlock()
	select {
	case <-call.done:
		if call.err != nil {
			return nil, call.err
		}
		return call.creds.clone(), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for renewal: %w", ctx.Err())
	}
}

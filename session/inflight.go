package session

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// inflight runs one renewal at a time: callers that arrive while one runs
// share its result, as go-oidc's inflight shares a key set fetch. The work
// runs on a goroutine of its own with its own deadline, so that one caller
// giving up does not cancel it for the others. The zero value is ready.
type inflight struct {
	mu   sync.Mutex // serialises starting a run
	call atomic.Pointer[flight]
}

// flight is one run; its result is set before done is closed. The result
// is shared by every caller of the run: it must not be changed.
type flight struct {
	done  chan struct{}
	creds *Credentials
	err   error
}

// do joins the run in progress or starts work on a new goroutine, then
// waits for its result or for ctx to end.
func (f *inflight) do(ctx context.Context, work func() (*Credentials, error)) (*Credentials, error) {
	call := f.call.Load()
	if call == nil {
		f.mu.Lock()
		if call = f.call.Load(); call == nil {
			call = &flight{done: make(chan struct{})}
			f.call.Store(call)
			go func() {
				creds, err := work()
				call.creds, call.err = creds, err
				f.call.Store(nil)
				close(call.done)
			}()
		}
		f.mu.Unlock()
	}
	return call.wait(ctx)
}

// join waits for the run in progress, if there is one; ok is false when
// there is none.
func (f *inflight) join(ctx context.Context) (creds *Credentials, err error, ok bool) {
	call := f.call.Load()
	if call == nil {
		return nil, nil, false
	}
	creds, err = call.wait(ctx)
	return creds, err, true
}

func (call *flight) wait(ctx context.Context) (*Credentials, error) {
	select {
	case <-call.done:
		return call.creds, call.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for renewal: %w", ctx.Err())
	}
}

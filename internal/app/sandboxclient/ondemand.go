package sandboxclient

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
)

// StartError says that the sandbox could not be started when a session
// on it needed it (see [OnDemand]).
type StartError struct {
	// Addr is the sandbox's address.
	Addr string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *StartError) Error() string {
	return "starting the sandbox at " + e.Addr + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *StartError) Unwrap() error { return e.Err }

// OnDemand is the transport of a session on the built-in sandbox.
// Before the first request to the sandbox it makes sure one runs at its
// address: another process's (the app's, or `latch sandbox`), else one
// it starts (the desktop app in its own process, the command line as the
// program latch-sandbox), which lives until close. Nothing is asked or
// started before a request needs the provider, so that `latch token` on
// a valid token and the app's launch cost nothing for it. When the
// process that ran the sandbox has quit, the next request starts it here
// and is sent again.
type OnDemand struct {
	start     Starter
	addr      string
	stateFile string
	log       *slog.Logger
	base      http.RoundTripper

	mu      sync.Mutex
	running bool     // a sandbox answered at addr, or srv runs
	srv     Instance // the one this process started, if any
}

// NewOnDemand is the transport, over base (nil: http.DefaultTransport),
// of a session on the sandbox at addr, of the state at stateFile, that
// start starts when none runs there (nil: [Program]).
func NewOnDemand(start Starter, addr, stateFile string, log *slog.Logger, base http.RoundTripper) *OnDemand {
	if base == nil {
		base = http.DefaultTransport
	}
	return &OnDemand{start: start, addr: addr, stateFile: stateFile, log: log, base: base}
}

// RoundTrip implements http.RoundTripper.
func (s *OnDemand) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != s.addr {
		return s.base.RoundTrip(req)
	}
	if err := s.ensure(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := s.base.RoundTrip(req)
	var op *net.OpError
	if err == nil || !errors.As(err, &op) || op.Op != "dial" || !s.lost() {
		return resp, err
	}
	// The process that ran the sandbox has quit: run it here, and send
	// the request again when its body can be read again.
	if err := s.ensure(req.Context()); err != nil {
		return nil, err
	}
	if req.Body != nil && req.GetBody == nil {
		return nil, err
	}
	again := req.Clone(req.Context())
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return s.base.RoundTrip(again)
}

// lost forgets a sandbox that another process ran and that no longer
// answers; it reports whether it did.
func (s *OnDemand) lost() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil || !s.running {
		return false
	}
	s.running = false
	return true
}

// ensure makes sure a sandbox runs at the address: one that answers
// there, else one started here, which lives until close.
func (s *OnDemand) ensure(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil
	}
	if _, ok := Running(ctx, s.addr, s.stateFile); !ok {
		srv, err := s.start.Start(context.WithoutCancel(ctx), Options{Addr: s.addr, StateFile: s.stateFile, Logger: s.log})
		switch {
		case errors.Is(err, os.ErrExist):
			// Another process started it meanwhile.
		case err != nil:
			return &StartError{Addr: s.addr, Err: err}
		default:
			s.srv = srv
			s.log.Debug("started the sandbox", "issuer", srv.Issuer())
		}
	}
	s.running = true
	return nil
}

// Close stops the sandbox this process started, if any.
func (s *OnDemand) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
		s.srv, s.running = nil, false
	}
}

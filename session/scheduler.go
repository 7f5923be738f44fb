package session

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// scheduler renews credentials ahead of expiry, so that callers of
// [Manager.Credentials] never wait on the network in steady state. It
// renews at a part of each access token's lifetime (plus up to 5% of
// jitter, so that several processes do not all renew at once) and retries
// transient failures with exponential backoff, from 1 second doubling up
// to a minute.
type scheduler struct {
	clock   Clock
	part    float64
	log     *slog.Logger
	renew   func(ctx context.Context) error // a forced renewal
	expired func()                          // the credentials ran out

	wake chan struct{}
	done chan struct{}

	mu    sync.Mutex
	creds *Credentials
	due   time.Time
}

func newScheduler(clock Clock, part float64, log *slog.Logger, renew func(context.Context) error, expired func()) *scheduler {
	return &scheduler{
		clock: clock, part: part, log: log, renew: renew, expired: expired,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
}

// plan follows new credentials (nil: signed out): it sets when they are
// renewed and wakes the loop.
func (s *scheduler) plan(c *Credentials) {
	s.mu.Lock()
	s.creds = c
	s.due = time.Time{}
	if c != nil && c.Lifetime() > 0 {
		part := s.part + rand.Float64()*0.05
		s.due = c.ObtainedAt.Add(time.Duration(float64(c.Lifetime()) * part))
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// retryAt moves the next renewal of the credentials held to at.
func (s *scheduler) retryAt(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creds != nil {
		s.due = at
	}
}

// run renews until ctx ends, then closes s.done.
func (s *scheduler) run(ctx context.Context) {
	defer close(s.done)
	failures := 0
	for {
		s.mu.Lock()
		c, due := s.creds, s.due
		s.mu.Unlock()
		now := s.clock.Now()
		var timer <-chan time.Time
		switch {
		case c == nil:
			failures = 0
		case c.CanRenew(now) && !due.IsZero():
			timer = s.clock.After(max(0, due.Sub(now)))
		case !c.CanRenew(now) && !c.Expiry.IsZero() && c.Expiry.After(now):
			timer = s.clock.After(c.Expiry.Sub(now))
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
			continue
		case <-timer:
		}
		if !c.CanRenew(s.clock.Now()) {
			s.expired()
			continue
		}
		err := s.renew(ctx)
		switch {
		case err == nil:
			failures = 0
		case ctx.Err() != nil:
			return
		default:
			failures++
			backoff := min(time.Second<<min(failures-1, 6), time.Minute)
			s.log.Info("renewal failed; will retry", "in", backoff, "error", err)
			s.retryAt(s.clock.Now().Add(backoff))
		}
	}
}

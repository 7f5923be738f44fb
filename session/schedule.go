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
// jitter, so that several processes do not all renew at once); after a
// failure it waits for the time the renewal says (a backoff that respects
// Retry-After), and stops after a failure that retrying cannot mend.
type scheduler struct {
	now     func() time.Time
	part    float64
	log     *slog.Logger
	renew   func(ctx context.Context) (retry time.Time, err error) // a forced renewal
	expired func()                                                 // the credentials ran out
	// canRenew says whether the credentials can still be renewed at now:
	// the session's by their refresh token; a named token's by the
	// session's.
	canRenew func(c *Credentials, now time.Time) bool

	wake chan struct{}
	done chan struct{}

	mu    sync.Mutex
	creds *Credentials
	due   time.Time // wall clock, without monotonic reading
}

// plan follows new credentials (nil: signed out): it sets when they are
// renewed and wakes the loop.
func (s *scheduler) plan(c *Credentials) {
	s.mu.Lock()
	s.creds = c
	s.due = time.Time{}
	if c != nil && c.lifetime() > 0 {
		part := s.part + rand.Float64()*0.05
		s.due = c.ObtainedAt.Round(0).Add(time.Duration(float64(c.lifetime()) * part))
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
		s.due = at.Round(0)
	}
}

// next says how long to sleep and whether a renewal (or the end of the
// credentials) is due when it ends.
func (s *scheduler) next() (c *Credentials, sleep time.Duration, act bool) {
	s.mu.Lock()
	c, due := s.creds, s.due
	s.mu.Unlock()
	now := s.now().Round(0)
	var at time.Time
	switch {
	case c == nil:
		return nil, 0, false
	case s.canRenew(c, now) && !due.IsZero() && due.Before(never):
		at = due
	case !s.canRenew(c, now) && !c.Expiry.IsZero() && c.Expiry.After(now):
		at = c.Expiry.Round(0)
	default:
		return c, 0, false
	}
	wait := at.Sub(now)
	if wait > wallCheck {
		return c, wallCheck, false
	}
	return c, max(0, wait), true
}

// run renews until ctx ends, then closes s.done.
func (s *scheduler) run(ctx context.Context) {
	defer close(s.done)
	for {
		c, sleep, act := s.next()
		var timer <-chan time.Time
		if c != nil && (act || sleep > 0) {
			timer = time.After(sleep)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
			continue
		case <-timer:
		}
		if !act {
			continue // look at the wall clock again
		}
		if !s.canRenew(c, s.now()) {
			s.expired()
			s.retryAt(never)
			continue
		}
		retry, err := s.renew(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !retry.IsZero():
			s.log.Info("renewal failed; will retry", "at", retry, "error", err)
			s.retryAt(retry)
		}
	}
}

// backoff is how long the scheduler waits after the n-th failure in a row:
// exponential from 1 second to a minute, with ±20% of jitter so that
// several processes do not retry together, and never less than the
// provider's Retry-After (itself at most maxRetryAfter).
func backoff(n int, after time.Duration) time.Duration {
	d := min(time.Second<<min(n-1, 6), time.Minute)
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return max(d, after)
}

// never is a retry time that does not come: the scheduler waits for new
// credentials instead.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// wallCheck is the longest the scheduler sleeps before it looks at the
// wall clock again. Timers run on the monotonic clock, which stops while
// the machine sleeps; after a wake-up the renewal that came due is done
// within this time.
const wallCheck = 15 * time.Second

func newScheduler(now func() time.Time, part float64, log *slog.Logger, renew func(context.Context) (time.Time, error), expired func(), canRenew func(*Credentials, time.Time) bool) *scheduler {
	return &scheduler{
		now: now, part: part, log: log, renew: renew, expired: expired, canRenew: canRenew,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
}

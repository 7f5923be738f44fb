package session

import (
	"sync/atomic"
	"time"
)

// skew is how far the provider's clock is ahead of ours, learnt from the
// Date headers of its answers. ID tokens are checked against the
// provider's time, so that a local clock that is minutes fast or slow
// does not reject them; access-token expiry needs no correction, as it is
// reckoned from expires_in on the local clock.
type skew struct{ ns atomic.Int64 }

func (s *skew) get() time.Duration { return time.Duration(s.ns.Load()) }

// observe learns from an answer dated date, received at local time now.
// Date has a resolution of a second, so a difference under two seconds
// is taken as none.
func (s *skew) observe(date, now time.Time) {
	d := date.Sub(now)
	if d > -2*time.Second && d < 2*time.Second {
		d = 0
	}
	s.ns.Store(int64(d))
}

// providerNow is the provider's time: the local clock corrected by the
// skew.
func (m *Manager) providerNow() time.Time { return m.now().Add(m.skew.get()) }

package keychain

import (
	"sync"
	"time"
)

// probeCache asks the platform, at most every few seconds, whether a
// keychain service exists (see probeKeychain). The zero value is ready.
type probeCache struct {
	mu      sync.Mutex
	checked time.Time
	err     error // nil: present, or not known to be missing
}

// probeFresh is how long a probe's answer is kept.
const probeFresh = 3 * time.Second

// check returns a channel that receives an error wrapping
// [ErrMissing] when no keychain service exists, and nothing
// otherwise.
func (p *probeCache) check() <-chan error {
	out := make(chan error, 1)
	p.mu.Lock()
	if time.Since(p.checked) < probeFresh {
		err := p.err
		p.mu.Unlock()
		if err != nil {
			out <- err
		}
		return out
	}
	p.mu.Unlock()
	go func() {
		err := probeKeychain()
		p.mu.Lock()
		p.checked, p.err = time.Now(), err
		p.mu.Unlock()
		if err != nil {
			out <- err
		}
	}()
	return out
}

package keychain

import (
	"fmt"
	"sync"
	"time"

	"github.com/latchapp/latch/base/secretservice"
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

// probeAfter is how long a call runs before the probe starts: a keychain
// that is there answers well within it, and then nothing is probed (the
// probe is a bus connection and a call of its own, which a short-lived
// `latch token` would pay for on every run); a missing one is still told
// at once, by the standard of a person waiting.
const probeAfter = 25 * time.Millisecond

// check returns a channel that receives an error wrapping [ErrMissing]
// when no keychain service exists, and nothing otherwise, and a function
// that cancels the probe if it has not started: the caller calls it when
// its call is over.
func (p *probeCache) check() (<-chan error, func()) {
	out := make(chan error, 1)
	p.mu.Lock()
	if time.Since(p.checked) < probeFresh {
		err := p.err
		p.mu.Unlock()
		if err != nil {
			out <- err
		}
		return out, func() {}
	}
	p.mu.Unlock()
	timer := time.AfterFunc(probeAfter, func() {
		err := probeKeychain()
		p.mu.Lock()
		p.checked, p.err = time.Now(), err
		p.mu.Unlock()
		if err != nil {
			out <- err
		}
	})
	return out, func() { timer.Stop() }
}

// activationWait is how long a Secret Service that D-Bus can start is
// given to come up: gnome-keyring and KWallet take well under a second.
// One that never does (a broken installation) is then reported missing,
// instead of every keychain call waiting for its timeout.
const activationWait = 3 * time.Second

// probeKeychain reports [ErrMissing] when the platform says that no
// keychain service exists (on Linux: no D-Bus session, or no Secret
// Service on it that is running or starts).
func probeKeychain() error {
	if err := secretservice.Probe(activationWait); err != nil {
		return fmt.Errorf("%w (%v)", ErrMissing, err)
	}
	return nil
}

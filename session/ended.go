package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Why a session ended is kept after its credentials are gone, so that a
// program that looks later (latch status, the app's next launch) says
// why the person must sign in again, not only that nobody is. It is a
// file of the private lock folder, named by the store key, and holds no
// secret: the provider's error code and description, or the session's
// own reason. A sign-in or a sign-out removes it.

// endReason is why the session ended.
type endReason struct {
	At time.Time `json:"at"`
	// Code and Description are the provider's refusal of the refresh
	// token (RFC 6749 section 5.2).
	Code        string `json:"code,omitempty"`
	Description string `json:"description,omitempty"`
	// Key says the DPoP key of the tokens went.
	Key bool `json:"key,omitempty"`
}

// noteEnded keeps why the session ended: reason, when it is one this
// package can tell again.
func (v *sessionStore) noteEnded(reason error, at time.Time) {
	n := endReason{At: at.UTC()}
	var pe *ProviderError
	switch {
	case errors.As(reason, &pe):
		n.Code, n.Description = pe.Code, pe.Description
	case errors.Is(reason, ErrDPoPKeyLost):
		n.Key = true
	default:
		return
	}
	b, err := json.Marshal(n)
	if err == nil {
		v.writeFile(v.endedPath, string(b))
	}
}

// ended is why the session last ended, as an error of the kind it ended
// with; nil when it did not (or a sign-in or sign-out came since).
func (v *sessionStore) ended() error {
	b, err := os.ReadFile(v.endedPath)
	if err != nil {
		return nil
	}
	var n endReason
	if json.Unmarshal(b, &n) != nil {
		return nil
	}
	switch {
	case n.Key:
		return fmt.Errorf("the session ended on %s: %w", n.At.Local().Format(time.DateTime), ErrDPoPKeyLost)
	case n.Code != "":
		return &ProviderError{Op: "renewal", Code: n.Code, Description: n.Description, StatusCode: 400}
	}
	return nil
}

// clearEnded forgets why the session last ended.
func (v *sessionStore) clearEnded() { _ = os.Remove(v.endedPath) }

// endedLocked follows the provider's refusal of rejected's refresh token:
// it removes the stored credentials only when they still hold that token
// (compare and delete). When another writer stored others meanwhile, they
// are adopted instead.
func (m *Manager) endedLocked(ctx context.Context, rejected *Credentials, refusal error) (*Credentials, error) {
	stored, err := m.store.read(ctx)
	switch {
	case err != nil:
		m.log.Warn("re-reading the store after a refused renewal failed; keeping it", "error", err)
	case stored != nil && stored.RefreshToken != rejected.RefreshToken:
		m.set(stored, false)
		return stored.clone(), nil
	case stored != nil:
		if err := m.store.remove(ctx); err != nil {
			m.log.Warn("removing ended credentials failed", "error", err)
		}
		m.store.noteEnded(refusal, m.now())
	}
	m.set(nil, false)
	return nil, refusal
}

// endLocked ends the session after the provider refused current's refresh
// token for reason, or its key is gone (see endedLocked), and says so.
func (m *Manager) endLocked(ctx context.Context, current *Credentials, reason error) {
	if _, err := m.endedLocked(ctx, current, reason); err != nil {
		m.publish(StateEnded, err)
	}
}

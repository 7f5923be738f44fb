package session

import (
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

// endNote is why the session ended.
type endNote struct {
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
func (v *vault) noteEnded(reason error, at time.Time) {
	n := endNote{At: at.UTC()}
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
func (v *vault) ended() error {
	b, err := os.ReadFile(v.endedPath)
	if err != nil {
		return nil
	}
	var n endNote
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
func (v *vault) clearEnded() { _ = os.Remove(v.endedPath) }

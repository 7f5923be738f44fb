package session

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// The pause a provider asks for (Retry-After on a 429 or a 503) is kept
// in the lock folder, so that every process of the person's keeps it,
// not only the one that was told: a command started a second later does
// not ask the provider again before it said, and says until when.

// waitPath holds the pause the provider asked the session's renewals
// for: named by the store key and the issuer, as the pause is that
// provider's.
func (c Config) waitPath() string {
	sum := sha256.Sum256([]byte(c.StoreKey + "\n" + c.Issuer))
	return filepath.Join(c.LockDir, "wait-"+hex.EncodeToString(sum[:8]))
}

// providerWait is the pause kept: until when, and the answer that asked
// for it.
type providerWait struct {
	Until  time.Time `json:"until"`
	Status int       `json:"status"`
	Code   string    `json:"code,omitempty"`
}

// noteWait keeps the pause that err asks for, if it asks for one, and
// forgets a kept one after a renewal that reached the provider.
func (v *sessionStore) noteWait(err error, now time.Time) {
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.RetryAfter <= 0 {
		if err == nil || !errors.Is(err, ErrProviderUnreachable) {
			_ = os.Remove(v.waitPath)
		}
		return
	}
	b, jerr := json.Marshal(providerWait{Until: now.Add(pe.RetryAfter).UTC(), Status: pe.StatusCode, Code: pe.Code})
	if jerr == nil {
		v.writeFile(v.waitPath, string(b))
	}
}

// waiting is the pause kept, as the error its answer was, while it lasts
// at now (its RetryAfter what is left of it); nil when there is none.
func (v *sessionStore) waiting(now time.Time) *ProviderError {
	if v.waitPath == "" {
		return nil
	}
	b, err := os.ReadFile(v.waitPath)
	if err != nil {
		return nil
	}
	var w providerWait
	if json.Unmarshal(b, &w) != nil || !now.Before(w.Until) || w.Until.Sub(now) > maxRetryAfter {
		return nil
	}
	return &ProviderError{Op: "renewal", Code: w.Code, StatusCode: w.Status, RetryAfter: w.Until.Sub(now)}
}

package session

import (
	"context"
	"errors"
	"fmt"
)

// dpopKey is the store's item of the session's DPoP key, beside the
// credentials it binds.
func (v *sessionStore) dpopKey() string { return v.key + ".dpop" }

// readKey returns the DPoP key stored, or an error wrapping [ErrNotFound].
func (v *sessionStore) readKey(ctx context.Context) (*dpopKey, error) {
	b, err := v.current().Get(ctx, v.dpopKey())
	if err != nil {
		return nil, err
	}
	return parseDPoPKey(b)
}

// writeKey stores k, or removes the stored key when k is nil. The caller
// holds the lock.
func (v *sessionStore) writeKey(ctx context.Context, k *dpopKey) error {
	var b []byte
	if k != nil {
		var err error
		if b, err = k.marshal(); err != nil {
			return fmt.Errorf("saving the DPoP key: %w", err)
		}
	}
	return v.put(ctx, v.dpopKey(), b, "the DPoP key")
}

// newSignInKey is the key for a sign-in: a fresh one with [Config.DPoP],
// nil without.
func (m *Manager) newSignInKey() (*dpopKey, error) {
	if !m.cfg.DPoP {
		return nil, nil
	}
	return newDPoPKey()
}

// readKeyFor reads the stored key and checks it against c: nil, nil when
// c is not bound; an error wrapping [ErrSignInRequired] when the key is
// gone or another; the store's error when it cannot be read.
func (m *Manager) readKeyFor(ctx context.Context, c *Credentials) (*dpopKey, error) {
	if c == nil || c.KeyThumbprint == "" {
		return nil, nil
	}
	k, err := m.store.readKey(ctx)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("the key is gone: %w", ErrDPoPKeyLost)
	case errors.Is(err, ErrCorruptValue):
		return nil, fmt.Errorf("the key cannot be read: %w", ErrDPoPKeyLost)
	case err != nil:
		return nil, err
	case k.thumbprint != c.KeyThumbprint:
		return nil, fmt.Errorf("another key is stored: %w", ErrDPoPKeyLost)
	}
	return k, nil
}

// loadKey is c's key, read from the store, and kept in memory while c is
// the session's. Renewals call it under the lock, so that a key removed
// while this process held it in memory ends the session at the next
// renewal.
func (m *Manager) loadKey(ctx context.Context, c *Credentials) (*dpopKey, error) {
	k, err := m.readKeyFor(ctx, c)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if s := m.session.creds; s != nil && s.KeyThumbprint == c.KeyThumbprint {
		m.key = k
	}
	m.mu.Unlock()
	return k, nil
}

// keyFor is c's key, from memory once read. When the store's key does not
// fit c, it checks again under the lock (a sign-in elsewhere writes a new
// key, then new credentials) and ends the session when it still does not.
func (m *Manager) keyFor(ctx context.Context, c *Credentials) (*dpopKey, error) {
	if c.KeyThumbprint == "" {
		return nil, nil
	}
	m.mu.Lock()
	k := m.key
	m.mu.Unlock()
	if k != nil && k.thumbprint == c.KeyThumbprint {
		return k, nil
	}
	k, err := m.loadKey(ctx, c)
	if !errors.Is(err, ErrSignInRequired) {
		return k, err
	}
	return m.checkKeyLocked(ctx, c)
}

// checkKeyLocked takes the lock and checks the stored credentials against
// the stored key: when they fit, they are adopted; when they do not, the
// session ends with the reason. It returns the key of c when c is still
// the session.
func (m *Manager) checkKeyLocked(ctx context.Context, c *Credentials) (*dpopKey, error) {
	current, lock, err := m.lockSynced(ctx)
	if errors.Is(err, ErrNoCredentials) {
		return nil, ErrSignedOutElsewhere
	}
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	k, err := m.loadKey(ctx, current)
	if errors.Is(err, ErrSignInRequired) {
		m.endLocked(ctx, current, err)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if current.KeyThumbprint != c.KeyThumbprint {
		return nil, errors.New("the session changed in another program; try again")
	}
	return k, nil
}

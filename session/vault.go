package session

import (
	"context"
	"errors"
	"fmt"
)

// vault is the store layer of a [Manager]: its credentials in the [Store]
// under one key, and the cross-process lock that every write holds.
type vault struct {
	store    Store
	key      string
	lockPath string
}

// read returns the stored credentials; nil, nil when there are none.
func (v *vault) read(ctx context.Context) (*Credentials, error) {
	b, err := v.store.Get(ctx, v.key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return unmarshalCredentials(b)
}

// write stores c. The caller holds the lock.
func (v *vault) write(ctx context.Context, c *Credentials) error {
	b, err := c.marshal()
	if err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	if err := v.store.Set(ctx, v.key, b); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	return nil
}

// remove deletes the stored credentials; none stored is no error. The
// caller holds the lock.
func (v *vault) remove(ctx context.Context) error {
	err := v.store.Delete(ctx, v.key)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("removing credentials: %w", err)
	}
	return nil
}

// save stores c under the cross-process lock.
func (v *vault) save(ctx context.Context, c *Credentials) error {
	lock, err := v.lock(ctx)
	if err != nil {
		return err
	}
	defer lock.release()
	return v.write(ctx, c)
}

// lock takes the cross-process lock, waiting until it is free or ctx ends.
func (v *vault) lock(ctx context.Context) (*fileLock, error) {
	return acquireFileLock(ctx, v.lockPath)
}

// adopt stores fresh credentials from a sign-in under the lock and makes
// them current.
func (m *Manager) adopt(ctx context.Context, c *Credentials) error {
	if err := m.vault.save(ctx, c); err != nil {
		return err
	}
	m.mu.Lock()
	m.loaded = true
	m.setLocked(c, false)
	m.mu.Unlock()
	m.publish(StateSignedIn, nil)
	return nil
}

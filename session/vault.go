package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// vault is the store layer of a [Manager]: its credentials in the [Store]
// under one key, the queue of revocations not yet sent, the cross-process
// lock that every write holds, and the generation file that every write
// changes, so that other processes notice.
type vault struct {
	key      string
	lockPath string
	genPath  string
	// pendingPath marks a queue of revocations; sentPath holds when the
	// provider was last told of one (see revocations.go).
	pendingPath, sentPath string
	// endedPath holds why the session ended (see ended.go).
	endedPath string

	mu     sync.Mutex
	store  Store
	ownGen string // the generation this process wrote last
}

// current is the store in use.
func (v *vault) current() Store {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.store
}

// use replaces the store.
func (v *vault) use(s Store) {
	v.mu.Lock()
	v.store = s
	v.mu.Unlock()
}

// read returns the stored credentials; nil, nil when there are none.
func (v *vault) read(ctx context.Context) (*Credentials, error) {
	b, err := v.current().Get(ctx, v.key)
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
	if err := v.current().Set(ctx, v.key, b); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	v.bump()
	return nil
}

// remove deletes the stored credentials, and the items that go with them
// (named tokens, DPoP key); none stored is no error. The caller holds the
// lock.
func (v *vault) remove(ctx context.Context) error {
	if err := v.put(ctx, v.key, nil, "credentials"); err != nil {
		return err
	}
	err := v.removeItems(ctx)
	v.bump()
	return err
}

// lock takes the cross-process lock, waiting until it is free or ctx ends.
func (v *vault) lock(ctx context.Context) (*fileLock, error) {
	return acquireFileLock(ctx, v.lockPath)
}

// bump changes the generation file: other processes watching it read the
// store again. It holds no secret, only a random value. A failure only
// delays what others notice, so it is not returned.
func (v *vault) bump() {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	gen := hex.EncodeToString(b)
	v.mu.Lock()
	v.ownGen = gen
	v.mu.Unlock()
	if err := mkdirPrivate(filepath.Dir(v.genPath)); err == nil {
		if f, err := openPrivate(v.genPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC); err == nil {
			_, _ = f.WriteString(gen)
			f.Close()
		}
	}
}

// changedElsewhere reports whether the generation file says another
// process wrote since this one last did.
func (v *vault) changedElsewhere() bool {
	b, err := os.ReadFile(v.genPath)
	if err != nil {
		return false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if string(b) == v.ownGen {
		return false
	}
	v.ownGen = string(b)
	return true
}

// adopt stores fresh credentials from a sign-in under the lock, with the
// DPoP key they are bound to (nil: none), and makes them current. The
// named tokens of an earlier session go, and its refresh token is queued
// for revocation: a sign-in as someone else leaves nothing of the first
// person valid at the provider.
func (m *Manager) adopt(ctx context.Context, c *Credentials, key *dpopKey) error {
	lock, err := m.vault.lock(ctx)
	if err != nil {
		return err
	}
	defer lock.release()
	if earlier, err := m.vault.read(ctx); err == nil && earlier != nil {
		if err := m.queueRevocationsLocked(ctx, earlier); err != nil {
			return err
		}
		go m.retryRevocations()
	}
	if err := m.vault.removeItems(ctx); err != nil {
		return err
	}
	m.vault.clearEnded()
	if err := m.vault.writeKey(ctx, key); err != nil {
		return err
	}
	if err := m.vault.write(ctx, c); err != nil {
		return err
	}
	m.mu.Lock()
	m.loaded = true
	m.key = key
	m.setLocked(c, false)
	m.mu.Unlock()
	m.publish(StateSignedIn, nil)
	return nil
}

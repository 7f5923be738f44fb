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

	"github.com/latchapp/latch/base/filelock"
	"github.com/latchapp/latch/base/memstore"
)

// Store keeps small secret values by key: a session's credentials, its
// named tokens, its DPoP key and its queue of revocations, each under a
// key derived from [Config.StoreKey]. The operating system's keychain is
// the Store of package github.com/latchapp/latch/session/keychain.
//
// Implementations are safe for concurrent use, and across processes as
// far as a single Get, Set or Delete goes: the [Manager] serialises
// writers with a file lock. Get and Delete return an error wrapping
// [ErrNotFound] for a key not held; a value that cannot be read back
// whole is [ErrCorruptValue]; failures of the underlying secret storage
// wrap [ErrKeychainUnavailable].
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// memStore is a Store in memory: the store of a Manager without one, or
// after [Manager.KeepInMemory]. The zero value is ready to use.
type memStore = memstore.Store

// sessionStore is a [Manager]'s session in its [Store] (the backend,
// which keeps bytes by key): the credentials under one key, the named
// tokens' records, the DPoP key and the queue of revocations not yet sent
// under keys derived from it; the cross-process lock that every write
// holds, and the generation file that every write changes, so that other
// processes notice.
type sessionStore struct {
	key      string
	lockPath string
	genPath  string
	// pendingPath marks a queue of revocations; sentPath holds when the
	// provider was last told of one (see sessionStore.revocations).
	pendingPath, sentPath string
	// endedPath holds why the session ended (see sessionStore.noteEnded);
	// waitPath the pause the provider asked for (see wait.go).
	endedPath, waitPath string

	mu      sync.Mutex
	backend Store
	ownGen  string // the generation this process wrote last
}

// current is the store in use.
func (v *sessionStore) current() Store {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.backend
}

// use replaces the store.
func (v *sessionStore) use(s Store) {
	v.mu.Lock()
	v.backend = s
	v.mu.Unlock()
}

// read returns the stored credentials; nil, nil when there are none.
func (v *sessionStore) read(ctx context.Context) (*Credentials, error) {
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
func (v *sessionStore) write(ctx context.Context, c *Credentials) error {
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
func (v *sessionStore) remove(ctx context.Context) error {
	if err := v.put(ctx, v.key, nil, "credentials"); err != nil {
		return err
	}
	err := v.removeItems(ctx)
	v.bump()
	return err
}

// lock takes the cross-process lock, waiting until it is free or ctx ends
// (see [filelock.Acquire]).
func (v *sessionStore) lock(ctx context.Context) (*filelock.Lock, error) {
	l, err := filelock.Acquire(ctx, v.lockPath, nil)
	if err != nil {
		return nil, fmt.Errorf("renewal lock: %w", err)
	}
	return l, nil
}

// bump changes the generation file: other processes watching it read the
// store again. It holds no secret, only a random value. A failure only
// delays what others notice, so it is not returned.
func (v *sessionStore) bump() {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	gen := hex.EncodeToString(b)
	v.mu.Lock()
	v.ownGen = gen
	v.mu.Unlock()
	if err := filelock.MkdirPrivate(filepath.Dir(v.genPath)); err == nil {
		if f, err := filelock.OpenPrivate(v.genPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC); err == nil {
			_, _ = f.WriteString(gen)
			f.Close()
		}
	}
}

// changedElsewhere reports whether the generation file says another
// process wrote since this one last did.
func (v *sessionStore) changedElsewhere() bool {
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

// A session keeps several items in the store, each under the
// credentials' key ([Config.StoreKey]) and a suffix: the session's own
// token (the credentials, under the key itself), the named tokens (all in
// one item, ".apis", so that a write of them is whole or not at all), the
// DPoP key (".dpop") and the queue of revocations (".revoke"). They go
// with the credentials: [sessionStore.remove] deletes them all. Their encodings
// are kept from one release to the next, so that an upgrade signs no one
// out. The named tokens are in namedstore.go, the DPoP key in keystore.go,
// the queue in revocations.go, and why a session ended in ended.go.

// put stores value under key, or removes key when value is nil (none
// stored is no error); what names the value in errors.
func (v *sessionStore) put(ctx context.Context, key string, value []byte, what string) error {
	if value == nil {
		if err := v.current().Delete(ctx, key); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("removing %s: %w", what, err)
		}
		return nil
	}
	if err := v.current().Set(ctx, key, value); err != nil {
		return fmt.Errorf("saving %s: %w", what, err)
	}
	return nil
}

// removeItems deletes the named tokens and the DPoP key. The caller holds
// the lock.
func (v *sessionStore) removeItems(ctx context.Context) error {
	return errors.Join(v.put(ctx, v.namedKey(), nil, "named tokens"), v.put(ctx, v.dpopKey(), nil, "the DPoP key"))
}

// writeFile writes content to path in the private lock folder; a failure
// only loses a hint, so it is not returned.
func (v *sessionStore) writeFile(path, content string) {
	if err := filelock.MkdirPrivate(filepath.Dir(path)); err != nil {
		return
	}
	if f, err := filelock.OpenPrivate(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC); err == nil {
		_, _ = f.WriteString(content)
		f.Close()
	}
}

// load returns the session's credentials in memory, reading the store the
// first time. A nil result with a nil error means signed out.
func (m *Manager) load(ctx context.Context) (*Credentials, error) {
	m.mu.Lock()
	if m.loaded {
		c := m.session.creds
		m.mu.Unlock()
		return c, nil
	}
	m.mu.Unlock()
	stored, err := m.store.read(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.loaded { // another goroutine got there first
		c := m.session.creds
		m.mu.Unlock()
		return c, nil
	}
	m.loaded = true
	m.setLocked(stored, false)
	m.mu.Unlock()
	if m.watcher != nil {
		go m.retryRevocationsLater()
	}
	if stored != nil && stored.KeyThumbprint != "" {
		// Bound tokens are of no use without their key: a session whose
		// key is gone ends here, with that reason.
		if _, err := m.keyFor(ctx, stored); errors.Is(err, ErrSignInRequired) {
			return nil, err
		}
	}
	now := m.now()
	switch {
	case stored == nil && m.store.ended() != nil:
		m.publish(StateEnded, m.store.ended()) // why, kept when it ended
	case stored == nil:
		m.publish(StateSignedOut, nil)
	case !stored.ValidFor(now, 0) && !stored.CanRenew(now):
		m.publish(StateEnded, ErrSessionExpired)
	default:
		m.publish(StateSignedIn, nil)
	}
	return stored, nil
}

// setLocked replaces the session's credentials in memory, publishes them
// to the hot path and plans their renewal. dirty says they are not stored
// yet. The named tokens of another session (or of none) are forgotten.
// m.mu is held.
func (m *Manager) setLocked(c *Credentials, dirty bool) {
	s := m.session
	if dirty && !m.dirty && s.creds != nil {
		m.dirtyFrom = s.creds.RefreshToken
	}
	if c == nil || s.creds == nil || c.SessionID != s.creds.SessionID {
		m.setNamedLocked(nil)
	}
	if c == nil || (m.key != nil && c.KeyThumbprint != m.key.thumbprint) {
		m.key = nil
	}
	s.creds = c
	m.dirty = dirty
	if !dirty {
		m.dirtyFrom = ""
	}
	s.publishLocked()
	for _, t := range m.named {
		t.publishLocked() // their owner is the session's new hot value
	}
	if s.sched != nil {
		s.sched.plan(c)
	}
}

// set is setLocked for a caller that does not hold m.mu.
func (m *Manager) set(c *Credentials, dirty bool) {
	m.mu.Lock()
	m.setLocked(c, dirty)
	m.mu.Unlock()
}

// flush stores credentials that a failed store write left in memory only,
// unless the store moved on meanwhile (see syncLocked).
func (m *Manager) flush(ctx context.Context) error {
	m.mu.Lock()
	dirty := m.dirty
	m.mu.Unlock()
	if !dirty {
		return nil
	}
	lock, err := m.store.lock(ctx)
	if err != nil {
		return err
	}
	defer lock.Release()
	c, err := m.syncLocked(ctx)
	if err != nil {
		return err
	}
	if c == nil {
		return ErrSignedOutElsewhere
	}
	return nil
}

// adopt stores fresh credentials from a sign-in under the lock, with the
// DPoP key they are bound to (nil: none), and makes them current. The
// named tokens of an earlier session go, and its refresh token is queued
// for revocation: a sign-in as someone else leaves nothing of the first
// person valid at the provider.
func (m *Manager) adopt(ctx context.Context, c *Credentials, key *dpopKey) error {
	lock, err := m.store.lock(ctx)
	if err != nil {
		return err
	}
	defer lock.Release()
	if earlier, err := m.store.read(ctx); err == nil && earlier != nil {
		if err := m.queueRevocationsLocked(ctx, earlier); err != nil {
			return err
		}
		go m.retryRevocations()
	}
	if err := m.store.removeItems(ctx); err != nil {
		return err
	}
	m.store.clearEnded()
	if err := m.store.writeKey(ctx, key); err != nil {
		return err
	}
	if err := m.store.write(ctx, c); err != nil {
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

// lockSynced takes the cross-process lock and reconciles memory with the
// store (see syncLocked): it returns the session's credentials as they
// now are, and the lock, which the caller releases. Nobody signed in is
// [ErrNoCredentials].
func (m *Manager) lockSynced(ctx context.Context) (*Credentials, *filelock.Lock, error) {
	lock, err := m.store.lock(ctx)
	if err != nil {
		return nil, nil, err
	}
	current, err := m.syncLocked(ctx)
	if err == nil && current == nil {
		err = ErrNoCredentials
	}
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	return current, lock, nil
}

// syncLocked reconciles memory with the store, under the lock, and
// returns the credentials now current (nil: signed out). Credentials that
// only memory holds (a store write failed) are written when the store
// still holds what they were renewed from; when the store moved on (a
// sign-out or a sign-in elsewhere), they are orphans: their refresh token
// is queued for revocation and the store's state is taken.
func (m *Manager) syncLocked(ctx context.Context) (*Credentials, error) {
	m.mu.Lock()
	mem, dirty, from := m.session.creds, m.dirty, m.dirtyFrom
	m.mu.Unlock()
	stored, err := m.store.read(ctx)
	if err != nil {
		if mem == nil {
			return nil, err
		}
		m.log.Warn("reading the store failed; using the credentials in memory", "error", err)
		return mem, nil
	}
	if dirty {
		if stored != nil && stored.RefreshToken == from {
			if err := m.store.write(ctx, mem); err != nil {
				return nil, err
			}
			m.mu.Lock()
			if m.session.creds == mem {
				m.setLocked(mem, false)
			}
			m.mu.Unlock()
			return mem, nil
		}
		m.log.Info("the store moved on while renewed credentials waited to be saved; revoking them")
		if err := m.queueRevocationsLocked(ctx, mem); err != nil {
			m.log.Warn("queueing the orphaned refresh token for revocation failed", "error", err)
		}
	}
	if !dirty && same(mem, stored) {
		return mem, nil
	}
	m.set(stored, false)
	return stored, nil
}

// same reports whether a and b are the same credentials.
func same(a, b *Credentials) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.RefreshToken == b.RefreshToken && a.AccessToken == b.AccessToken && a.ObtainedAt.Equal(b.ObtainedAt)
}

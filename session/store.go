package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

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
	// endedPath holds why the session ended (see sessionStore.noteEnded).
	endedPath string

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

// lock takes the cross-process lock, waiting until it is free or ctx ends.
func (v *sessionStore) lock(ctx context.Context) (*filelock.Lock, error) {
	return acquireFileLock(ctx, v.lockPath)
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
// out.

// record is a token as the store keeps it: what it was issued for (for a
// named token, the API) and the token. The session's own token is the
// record of no API, stored as its credentials alone.
type record struct {
	Audience string   `json:"audience,omitempty"`
	Scopes   []string `json:"scopes,omitempty"`
	Token    stored   `json:"token"`
}

func (r record) api() API { return API{Audience: r.Audience, Scopes: slices.Clone(r.Scopes)} }

func (r record) credentials() *Credentials {
	c := Credentials(r.Token)
	return &c
}

func recordOf(api API, c *Credentials) record {
	return record{Audience: api.Audience, Scopes: slices.Clone(api.Scopes), Token: stored(*c)}
}

func (v *sessionStore) namedKey() string { return v.key + ".apis" }
func (v *sessionStore) dpopKey() string  { return v.key + ".dpop" }

// readNamed returns the named tokens stored, by name; an empty map when
// there are none.
func (v *sessionStore) readNamed(ctx context.Context) (map[string]record, error) {
	b, err := v.current().Get(ctx, v.namedKey())
	if errors.Is(err, ErrNotFound) {
		return map[string]record{}, nil
	}
	if err != nil {
		return nil, err
	}
	records := map[string]record{}
	if err := json.Unmarshal(b, &records); err != nil {
		return nil, fmt.Errorf("%w: named tokens: %w", ErrCorruptValue, err)
	}
	return records, nil
}

// writeNamed replaces the named tokens stored. The caller holds the lock.
func (v *sessionStore) writeNamed(ctx context.Context, records map[string]record) error {
	var b []byte
	if len(records) > 0 {
		var err error
		if b, err = json.Marshal(records); err != nil {
			return fmt.Errorf("saving named tokens: %w", err)
		}
	}
	if err := v.put(ctx, v.namedKey(), b, "named tokens"); err != nil {
		return err
	}
	v.bump()
	return nil
}

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

// removeItems deletes the named tokens and the DPoP key. The caller holds
// the lock.
func (v *sessionStore) removeItems(ctx context.Context) error {
	return errors.Join(v.put(ctx, v.namedKey(), nil, "named tokens"), v.put(ctx, v.dpopKey(), nil, "the DPoP key"))
}

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

// The queue of revocations: the tokens of sign-outs that the provider
// has not been told of yet, kept in the store (".revoke") until it has.
// Two files of the lock folder, which hold no secret, go with it: a mark
// that the queue is not empty, so that any Manager that reaches the
// provider can tell without a keychain read that there is something to
// send; and when the provider was last told of a sign-out, for a status.

// revocation is a token that the provider is still to be asked to revoke.
type revocation struct {
	Token string `json:"token"`
	Hint  string `json:"hint"`
}

// revocationsKey names the queue of revocations in the store.
func (v *sessionStore) revocationsKey() string { return v.key + ".revoke" }

// revocations returns the queued revocations.
func (v *sessionStore) revocations(ctx context.Context) ([]revocation, error) {
	b, err := v.current().Get(ctx, v.revocationsKey())
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var q []revocation
	if err := json.Unmarshal(b, &q); err != nil {
		return nil, fmt.Errorf("%w: revocation queue: %w", ErrCorruptValue, err)
	}
	return q, nil
}

// setRevocations replaces the queue, and marks whether it holds any.
// The caller holds the lock.
func (v *sessionStore) setRevocations(ctx context.Context, q []revocation) error {
	var b []byte
	if len(q) > 0 {
		var err error
		if b, err = json.Marshal(q); err != nil {
			return err
		}
	}
	if err := v.put(ctx, v.revocationsKey(), b, "the revocation queue"); err != nil {
		return err
	}
	if len(q) > 0 {
		v.writeFile(v.pendingPath, "")
	} else {
		_ = os.Remove(v.pendingPath)
	}
	return nil
}

// revocationsMarked reports whether the mark says the queue holds
// revocations.
func (v *sessionStore) revocationsMarked() bool {
	_, err := os.Lstat(v.pendingPath)
	return err == nil
}

// noteRevoked keeps when the provider was last told of a sign-out.
func (v *sessionStore) noteRevoked(at time.Time) {
	v.writeFile(v.sentPath, at.UTC().Format(time.RFC3339))
}

// lastRevoked is when the provider was last told of a sign-out, zero when
// never.
func (v *sessionStore) lastRevoked() time.Time {
	b, err := os.ReadFile(v.sentPath)
	if err != nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
	return t
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

// revocationRetry is how often queued revocations are tried again;
// revocationStart is how long after the first read of the store a
// long-running Manager first looks at the queue, so that a launch reads
// the keychain once before it shows anything.
const (
	revocationRetry = time.Minute
	revocationStart = 3 * time.Second
)

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

// endLocked ends the session after the provider refused current's refresh
// token for reason, or its key is gone (see endedLocked), and says so.
func (m *Manager) endLocked(ctx context.Context, current *Credentials, reason error) {
	if _, err := m.endedLocked(ctx, current, reason); err != nil {
		m.publish(StateEnded, err)
	}
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

// loadNamed reads the named tokens stored, the first time for this
// session. Ones that cannot be read are dropped: they are asked for again
// when used, and the session itself is not touched.
func (m *Manager) loadNamed(ctx context.Context) error {
	m.mu.Lock()
	loaded := m.namedLoaded
	m.mu.Unlock()
	if loaded {
		return nil
	}
	records, err := m.store.readNamed(ctx)
	if errors.Is(err, ErrCorruptValue) {
		m.log.Warn("the named tokens stored cannot be read; they are asked for again when used", "error", err)
		records, err = map[string]record{}, nil
	}
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.namedLoaded && m.session.creds != nil {
		m.setNamedLocked(records)
	}
	return nil
}

// readNamedLocked reads the named tokens stored, under the lock, dropping
// ones that cannot be read (see loadNamed).
func (m *Manager) readNamedLocked(ctx context.Context) (map[string]record, error) {
	records, err := m.store.readNamed(ctx)
	if errors.Is(err, ErrCorruptValue) {
		m.log.Warn("the named tokens stored cannot be read; they are asked for again when used", "error", err)
		return map[string]record{}, nil
	}
	return records, err
}

// setNamed replaces the named tokens in memory with records.
func (m *Manager) setNamed(records map[string]record) {
	m.mu.Lock()
	m.setNamedLocked(records)
	m.mu.Unlock()
}

// setNamedLocked replaces the named tokens in memory with records (nil:
// none, and not read yet), publishes them to the hot path and plans their
// renewal. m.mu is held.
func (m *Manager) setNamedLocked(records map[string]record) {
	m.namedLoaded = records != nil
	for _, name := range slices.Sorted(maps.Keys(records)) {
		m.namedTokenLocked(name)
	}
	for name, t := range m.named {
		var c *Credentials
		var api API
		if rec, ok := records[name]; ok {
			c, api = rec.credentials(), rec.api()
		}
		changed := (c == nil) != (t.creds == nil) || (c != nil && c.AccessToken != t.creds.AccessToken)
		t.creds, t.api = c, api
		t.publishLocked()
		if changed && t.sched != nil {
			t.sched.plan(t.usableLocked())
		}
	}
}

// Timeouts of a sign-out: waiting for another process's renewal to end,
// and telling the provider.
const (
	logoutLockTimeout = 10 * time.Second
	revokeTimeout     = 10 * time.Second
)

// queueRevocationsLocked adds the refresh tokens of creds (their access
// tokens when they hold none) to the durable queue. The lock is held.
func (m *Manager) queueRevocationsLocked(ctx context.Context, creds ...*Credentials) error {
	q, err := m.store.revocations(ctx)
	if err != nil && !errors.Is(err, ErrCorruptValue) {
		return err
	}
	n := len(q)
	for _, c := range creds {
		if c == nil {
			continue
		}
		r := revocation{Token: c.RefreshToken, Hint: "refresh_token"}
		if r.Token == "" {
			r = revocation{Token: c.AccessToken, Hint: "access_token"}
		}
		if r.Token != "" && !slices.Contains(q, r) {
			q = append(q, r)
		}
	}
	if len(q) == n {
		return nil
	}
	return m.store.setRevocations(ctx, q)
}

// SendRevocations tells the provider of the sign-outs it has not heard
// of yet, when there are any (a sign-out made while it could not be
// reached), and says how that stands: how many tokens are still to be
// revoked, and when the provider was last told of a sign-out (zero when
// never, as far as this computer knows). With nothing queued it asks
// nothing of the network: a status display calls it. Sign-in, renewals
// and [Manager.Logout] send the queue by themselves, and a Manager with
// background renewal retries it every minute.
//
// Errors: those of the store; [ErrRevocationPending] (with pending > 0)
// when the provider still cannot be reached; [ErrRevocationUnsupported]
// when it cannot revoke, and the queue was dropped.
func (m *Manager) SendRevocations(ctx context.Context) (pending int, lastSent time.Time, err error) {
	pending, err = m.sendRevocations(ctx)
	return pending, m.store.lastRevoked(), err
}

// sendRevocations asks the provider to revoke every queued token, and
// removes from the queue those it has heard of. It returns how many are
// left: with an error wrapping [ErrRevocationPending] when there are any,
// and [ErrRevocationUnsupported] when the provider cannot revoke (the
// queue is then dropped).
func (m *Manager) sendRevocations(ctx context.Context) (int, error) {
	q, err := m.store.revocations(ctx)
	if err != nil || len(q) == 0 {
		return len(q), err
	}
	p, err := m.Provider(ctx)
	if err != nil {
		return len(q), fmt.Errorf("%w: %w", ErrRevocationPending, err)
	}
	if p.RevocationEndpoint == "" {
		left, err := m.dropRevocations(ctx, q)
		if err != nil {
			return left, err
		}
		return left, ErrRevocationUnsupported
	}
	var done []revocation
	var failed error
	for _, r := range q {
		err := m.revoke(ctx, p, r.Token, r.Hint)
		if err != nil && errors.Is(err, ErrProviderUnreachable) {
			failed = err
			break
		}
		if err != nil {
			m.log.Warn("the provider refused a revocation; dropping it", "error", err)
		}
		done = append(done, r)
	}
	left := len(q)
	if len(done) > 0 {
		if left, err = m.dropRevocations(ctx, done); err != nil {
			return left, err
		}
		m.store.noteRevoked(m.now())
	}
	if failed != nil {
		return left, fmt.Errorf("%w: %w", ErrRevocationPending, failed)
	}
	return left, nil
}

// dropRevocations removes done from the queue, under the lock, and
// returns how many are left (another process may have queued more).
func (m *Manager) dropRevocations(ctx context.Context, done []revocation) (int, error) {
	lock, err := m.store.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer lock.Release()
	q, err := m.store.revocations(ctx)
	if err != nil && !errors.Is(err, ErrCorruptValue) {
		return len(q), err
	}
	q = slices.DeleteFunc(q, func(r revocation) bool { return slices.Contains(done, r) })
	return len(q), m.store.setRevocations(ctx, q)
}

// retryRevocationsLater is retryRevocations after revocationStart, unless
// the Manager is closed first.
func (m *Manager) retryRevocationsLater() {
	select {
	case <-m.ctx.Done():
		return
	case <-time.After(revocationStart):
	}
	m.retryRevocations()
}

// sendQueuedRevocations sends the revocations queued, when the sessionStore's
// mark says there are any, now that the provider answers: after a
// renewal or a sign-in. The mark is a file, so that the usual case costs
// no keychain read.
func (m *Manager) sendQueuedRevocations(ctx context.Context) {
	if !m.store.revocationsMarked() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	if _, err := m.sendRevocations(ctx); err != nil && !errors.Is(err, ErrRevocationUnsupported) {
		m.log.Info("the provider could not be told of an earlier sign-out yet", "error", err)
	}
}

// retryRevocations sends queued revocations in the background, and tries
// again every minute while the provider cannot be reached, until the
// Manager is closed.
func (m *Manager) retryRevocations() {
	if !m.revoking.CompareAndSwap(false, true) {
		return
	}
	defer m.revoking.Store(false)
	for {
		ctx, cancel := context.WithTimeout(m.ctx, revokeTimeout)
		_, err := m.sendRevocations(ctx)
		cancel()
		if !errors.Is(err, ErrRevocationPending) {
			return
		}
		select {
		case <-m.ctx.Done():
			return
		case <-time.After(revocationRetry):
		}
	}
}

// revoke asks the provider to revoke token (RFC 7009).
func (m *Manager) revoke(ctx context.Context, p *Provider, token, hint string) error {
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	addClient(form, m.cfg.ClientID, m.cfg.ClientSecret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.RevocationEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revocation: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := m.http.Do(req)
	if errors.Is(err, ErrClientRejected) {
		return fmt.Errorf("revocation: %w", err) // a redirect to another origin
	}
	if err != nil {
		return fmt.Errorf("revocation: %w: %w", ErrProviderUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return readProviderError("revocation", resp)
}

// same reports whether a and b are the same credentials.
func same(a, b *Credentials) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.RefreshToken == b.RefreshToken && a.AccessToken == b.AccessToken && a.ObtainedAt.Equal(b.ObtainedAt)
}

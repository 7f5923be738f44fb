package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

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

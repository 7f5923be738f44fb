package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"
)

// cachedNamed returns the named token held in memory when it is for api
// (nil: any), belongs to the current session and is valid for minTTL;
// nil otherwise. The first call reads the store.
func (m *Manager) cachedNamed(ctx context.Context, name string, api *API, minTTL time.Duration) *Credentials {
	m.mu.Lock()
	read := m.named != nil
	m.mu.Unlock()
	if !read {
		if _, err := m.namedRecords(ctx); err != nil {
			return nil
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.named[name]
	if !ok || m.creds == nil || (api != nil && !rec.api().equal(*api)) {
		return nil
	}
	c := rec.credentials()
	if c.SessionID != m.creds.SessionID || !c.ValidFor(m.clock.Now(), minTTL) {
		return nil
	}
	return c
}

// namedRecords returns the named tokens held, reading the store the first
// time. The result is the caller's copy.
func (m *Manager) namedRecords(ctx context.Context) (map[string]namedRecord, error) {
	m.mu.Lock()
	if m.named != nil {
		records := maps.Clone(m.named)
		m.mu.Unlock()
		return records, nil
	}
	m.mu.Unlock()
	records, err := m.vault.readNamed(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.named == nil && m.creds != nil {
		m.setNamedLocked(records)
	}
	return records, nil
}

// setNamed replaces the named tokens in memory.
func (m *Manager) setNamed(records map[string]namedRecord) {
	m.mu.Lock()
	m.setNamedLocked(records)
	m.mu.Unlock()
}

// setNamedLocked replaces the named tokens in memory (nil: not read yet)
// and plans their renewal. m.mu is held.
func (m *Manager) setNamedLocked(records map[string]namedRecord) {
	if records == nil {
		m.named = nil
	} else {
		m.named = maps.Clone(records)
	}
	m.refreshNamedHotLocked()
	m.planNamedLocked()
}

// namedFlight is the single flight of requests for the token name.
func (m *Manager) namedFlight(name string) *inflight {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.namedFlights == nil {
		m.namedFlights = make(map[string]*inflight)
	}
	f, ok := m.namedFlights[name]
	if !ok {
		f = &inflight{}
		m.namedFlights[name] = f
	}
	return f
}

// readNamedLocked reads the named tokens stored, under the lock. Ones
// that cannot be read are dropped (they are asked for again when used):
// the session itself is not touched.
func (m *Manager) readNamedLocked(ctx context.Context) (map[string]namedRecord, error) {
	records, err := m.vault.readNamed(ctx)
	if errors.Is(err, ErrCorruptValue) {
		m.log.Warn("the named tokens stored cannot be read; they are asked for again when used", "error", err)
		return map[string]namedRecord{}, nil
	}
	return records, err
}

// editNamed changes the named tokens stored, under the lock.
func (m *Manager) editNamed(ctx context.Context, edit func(map[string]namedRecord)) error {
	lock, err := m.vault.lock(ctx)
	if err != nil {
		return err
	}
	defer lock.release()
	records, err := m.readNamedLocked(ctx)
	if err != nil {
		return err
	}
	before := len(records)
	edit(records)
	if len(records) != before {
		if err := m.vault.writeNamed(ctx, records); err != nil {
			return err
		}
	}
	m.setNamed(records)
	return nil
}

// requestNamed gets the token name under the cross-process lock: the one
// another process stored meanwhile when it is valid for minTTL (and is not
// replace, the token a renewal replaces), else a new one from the
// provider. The refresh token that comes back is stored
// as the session's first, since the one spent may be gone.
func (m *Manager) requestNamed(ctx context.Context, name string, given *API, minTTL time.Duration, replace string) (*Credentials, error) {
	p, _, err := m.providers.get(ctx)
	if err != nil {
		return nil, err
	}
	current, lock, err := m.lockSynced(ctx)
	if err != nil {
		return nil, err
	}
	defer lock.release()
	records, err := m.readNamedLocked(ctx)
	if err != nil {
		return nil, err
	}
	m.setNamed(records)

	rec, held := records[name]
	var api API
	switch declared, ok := m.cfg.APIs[name]; {
	case given != nil:
		api = *given
	case ok:
		api = declared
	case held:
		api = rec.api()
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownAPI, name)
	}
	if held && rec.api().equal(api) && rec.Token.AccessToken != replace {
		if c := rec.credentials(); c.SessionID == current.SessionID && c.ValidFor(m.clock.Now(), minTTL) {
			return c, nil // another process got it meanwhile
		}
	}
	var named *Credentials
	_, err = m.spendLocked(ctx, current, func(key *dpopKey) (session *Credentials, err error) {
		session, named, err = m.refresher.named(ctx, p, current, key, api)
		return session, err
	})
	if errors.Is(err, ErrSignInRequired) {
		m.publish(StateEnded, err)
	}
	if err != nil {
		return nil, err
	}
	if named == nil {
		// Another process's sign-in came between; nothing was issued.
		return nil, fmt.Errorf("%s: the session changed meanwhile; try again", opNamedToken)
	}
	records[name] = recordOf(api, named)
	if err := m.vault.writeNamed(ctx, records); err != nil {
		m.log.Warn("saving a named token failed; it is kept in memory", "name", name, "error", err)
	}
	m.setNamed(records)
	m.log.Debug("named token issued", "name", name, "expiry", named.Expiry)
	return named.clone(), nil
}

// endLocked ends the session after the provider refused current's refresh
// token for reason, or its key is gone (see endedLocked), and says so.
func (m *Manager) endLocked(ctx context.Context, current *Credentials, reason error) {
	if _, err := m.endedLocked(ctx, current, reason); err != nil {
		m.publish(StateEnded, err)
	}
}

package session

import (
	"time"

	"golang.org/x/oauth2"
)

// The hot path: a caller asking for a token that is held and valid, as it
// is in steady state while the scheduler renews ahead of expiry. It reads
// an immutable value published atomically, so that it takes no lock and
// allocates nothing; oauth2.ReuseTokenSource, by comparison, takes a mutex
// on every call. Everything else (the first read of the store, a renewal,
// credentials that only memory holds) takes the slow path.

// hotCreds are the session's credentials as the hot path hands them out:
// never changed once published.
type hotCreds struct {
	c   *Credentials
	tok *oauth2.Token
	// expires is c.Expiry in Unix nanoseconds, 0 for none: one integer
	// comparison instead of time.Time's arithmetic.
	expires int64
}

// hotNamed is a named token as the hot path hands it out.
type hotNamed struct {
	name    string
	c       *Credentials
	tok     *oauth2.Token
	expires int64
	api     API
	// session is the session's hot value it was published with: a token
	// of another session (or of none) is not handed out.
	session *hotCreds
}

// unixExpiry is an expiry for the hot path: Unix nanoseconds, 0 for none.
func unixExpiry(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// validAt reports whether a token that expires at expires (see
// unixExpiry) is valid at now for minTTL more, as [Credentials.ValidFor].
func validAt(expires int64, now time.Time, minTTL time.Duration) bool {
	return expires == 0 || now.UnixNano()+int64(minTTL) < expires
}

// refreshHotLocked publishes the credentials in memory to the hot path
// when they are read from the store and stored, and withdraws them
// otherwise. m.mu is held.
func (m *Manager) refreshHotLocked() {
	if !m.loaded || m.dirty || m.creds == nil {
		m.hot.Store(nil)
		return
	}
	c := m.creds.clone() // a copy of its own: callers may keep m.creds
	m.hot.Store(&hotCreds{c: c, tok: c.oauth2Token(), expires: unixExpiry(c.Expiry)})
	m.refreshNamedHotLocked()
}

// refreshNamedHotLocked publishes the named tokens in memory to the hot
// path, with the session's hot value. A list, not a map: a program holds
// a few named tokens, and comparing a few names costs less than hashing
// one. m.mu is held.
func (m *Manager) refreshNamedHotLocked() {
	session := m.hot.Load()
	if m.named == nil || session == nil {
		m.namedHot.Store(nil)
		return
	}
	hot := make([]*hotNamed, 0, len(m.named))
	for name, rec := range m.named {
		c := rec.credentials()
		if c.SessionID != session.c.SessionID {
			continue
		}
		hot = append(hot, &hotNamed{name: name, c: c, tok: c.oauth2Token(), expires: unixExpiry(c.Expiry), api: rec.api(), session: session})
	}
	m.namedHot.Store(&hot)
}

// hotToken returns the session's token when the hot path has one valid
// for minTTL.
func (m *Manager) hotToken(minTTL time.Duration) (*hotCreds, bool) {
	h := m.hot.Load()
	if h == nil || h.c.AccessToken == "" || !validAt(h.expires, m.clock.Now(), minTTL) {
		return nil, false
	}
	return h, true
}

// hotNamedToken returns the named token name when the hot path has one
// for api (nil: any) of the current session, valid for minTTL.
func (m *Manager) hotNamedToken(name string, api *API, minTTL time.Duration) (*hotNamed, bool) {
	hot := m.namedHot.Load()
	if hot == nil {
		return nil, false
	}
	for _, e := range *hot {
		if e.name != name {
			continue
		}
		if e.session != m.hot.Load() || (api != nil && !e.api.equal(*api)) || !validAt(e.expires, m.clock.Now(), minTTL) {
			return nil, false
		}
		return e, true
	}
	return nil, false
}

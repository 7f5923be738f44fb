package sandboxserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
)

// The sandbox keeps a session in the browser, as Auth0's single sign-on
// cookie does: after a sign-in, the next authorization request from the
// same browser signs the same person in without the form, unless its
// prompt asks for the form (login, select_account) or its login_hint
// names someone else. Sign-out at the provider (end_session) ends it.
// Browser sessions live in memory only: a restarted sandbox asks again.

// browserCookie holds a browser session's ID.
const browserCookie = "latch_sandbox_session"

// browserSessions are the browsers signed in, by session ID.
type browserSessions struct {
	mu    sync.Mutex
	users map[string]string // session ID → username
}

// signedIn is the username of r's browser session, "" for none.
func (b *browserSessions) signedIn(r *http.Request) string {
	c, err := r.Cookie(browserCookie)
	if err != nil || len(c.Value) < 32 {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, user := range b.users {
		if subtle.ConstantTimeCompare([]byte(id), []byte(c.Value)) == 1 {
			return user
		}
	}
	return ""
}

// start begins a browser session for username, replacing the browser's
// last one.
func (b *browserSessions) start(w http.ResponseWriter, r *http.Request, username string) {
	b.end(w, r)
	raw := make([]byte, 24)
	_, _ = rand.Read(raw)
	id := base64.RawURLEncoding.EncodeToString(raw)
	b.mu.Lock()
	if b.users == nil {
		b.users = map[string]string{}
	}
	b.users[id] = username
	b.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: browserCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// end ends r's browser session, if any.
func (b *browserSessions) end(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(browserCookie)
	if err != nil {
		return
	}
	b.mu.Lock()
	delete(b.users, c.Value)
	b.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: browserCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

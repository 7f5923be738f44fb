package session

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// clear removes the credentials from memory and the store, without
// telling the provider.
func (m *Manager) clear(ctx context.Context) error {
	lock, err := m.store.lock(ctx)
	if err != nil {
		return err
	}
	defer lock.Release()
	return m.clearLocked(ctx)
}

// clearLocked is clear under the lock.
func (m *Manager) clearLocked(ctx context.Context) error {
	err := m.store.remove(ctx)
	m.store.clearEnded()
	m.mu.Lock()
	m.loaded = err == nil // when not removed, the next read sees what is there
	m.setLocked(nil, false)
	m.mu.Unlock()
	m.publish(StateSignedOut, err)
	return err
}

// Logout signs out, here and in every program that shares the store.
// Under the cross-process lock (so that no renewal in another process can
// write credentials back), it reads what is stored, queues its refresh
// token for revocation in the store, and removes the credentials, the
// named tokens and the DPoP key. Then it asks the provider to revoke
// (RFC 7009) every token queued, this sign-out's and those of earlier
// ones the provider could not be told of, bounded to a few seconds. With
// nobody signed in, it only does the latter.
//
// Errors: the lock not taken in time, or the store failing, are reported
// with nothing changed. After the local sign-out: [ErrRevocationPending]
// when the provider could not be told yet (it will be, by the next
// Logout, sign-in or background work of any Manager on this store);
// [ErrRevocationUnsupported] when the provider cannot revoke, and the
// refresh token stays valid there until it expires.
func (m *Manager) Logout(ctx context.Context) error {
	if err := m.signOutLocally(ctx, true); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	_, err := m.sendRevocations(ctx)
	return err
}

// LogoutLocally signs out here and in every program that shares the
// store, as [Manager.Logout] does, without telling the provider: the
// refresh token is not revoked, and stays valid there until it expires
// (revocations queued by earlier sign-outs stay queued). For a sign-out
// that must not reach the network; prefer Logout.
func (m *Manager) LogoutLocally(ctx context.Context) error { return m.signOutLocally(ctx, false) }

// signOutLocally removes the session from the store under the
// cross-process lock, queueing its refresh token for revocation first
// when revoke says so.
func (m *Manager) signOutLocally(ctx context.Context, revoke bool) error {
	lockCtx, cancel := context.WithTimeout(ctx, logoutLockTimeout)
	lock, err := m.store.lock(lockCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("signing out: %w", err)
	}
	defer lock.Release()
	if !revoke {
		return m.clearLocked(ctx)
	}
	stored, err := m.store.read(ctx)
	if err != nil && !errors.Is(err, ErrCorruptValue) {
		return fmt.Errorf("signing out: %w", err)
	}
	m.mu.Lock()
	mem, dirty := m.session.creds, m.dirty
	m.mu.Unlock()
	queued := []*Credentials{stored}
	if dirty {
		queued = append(queued, mem)
	}
	if err := m.queueRevocationsLocked(ctx, queued...); err != nil {
		return fmt.Errorf("signing out: %w", err)
	}
	return m.clearLocked(ctx)
}

// Signing out at the provider too: OpenID Connect RP-Initiated Logout 1.0.
// A provider that keeps a session in the browser (a single sign-on
// cookie) signs the same person in again at the next sign-in, without
// asking; ending that session lets another person sign in.

// signedOutPath is the loopback path the provider sends the browser back
// to after its sign-out; providers register it without a port, as RFC
// 8252 allows for loopback addresses.
const signedOutPath = "/signed-out"

// signOutStartPath is the loopback path the browser opens first, which
// sends it on to the provider.
const signOutStartPath = "/sign-out"

// endSessionURL is where the provider ends its browser session: its
// discovery document's end_session_endpoint, else
// [Config.EndSessionEndpoint]; fallback says it is the latter.
func (m *Manager) endSessionURL(p *Provider) (endpoint string, fallback bool) {
	if p.EndSessionEndpoint != "" {
		return p.EndSessionEndpoint, false
	}
	return m.cfg.EndSessionEndpoint, m.cfg.EndSessionEndpoint != ""
}

// LogoutWithBrowser signs out as [Manager.Logout] does, then ends the
// person's session at the provider too, in the browser: it opens the
// provider's end-session address (its discovery document's
// end_session_endpoint, else [Config.EndSessionEndpoint]) with the ID
// token as a hint, and waits until the provider sends the
// browser back to a loopback page, which says it is done. Then the next
// sign-in asks who is signing in, where a provider that kept its own
// session would have signed the same person in again. opts is read as
// for [Manager.LoginWithBrowser]: OpenURL, ShowURL, Timeout and AppName.
//
// The browser is given a loopback address that sends it on to the
// provider's, so that the ID token is in no program's command line; on
// Linux, it answers only programs of the person's own user.
//
// Errors: those of Logout, when nothing was changed; when the provider
// offers no sign-out in the browser (see [Provider]), an error before
// anything is changed. After the local sign-out: [ErrNoBrowser], [ErrSignInTimedOut]
// (the browser did not come back in time) or ctx's error, and Logout's
// [ErrRevocationPending] or [ErrRevocationUnsupported] when the browser
// part went well.
func (m *Manager) LogoutWithBrowser(ctx context.Context, opts BrowserLogin) error {
	opts = opts.withDefaults()
	p, err := m.Provider(ctx)
	if err != nil {
		return fmt.Errorf("signing out: %w", err)
	}
	endpoint, fallback := m.endSessionURL(p)
	if endpoint == "" {
		return errors.New("the provider offers no sign-out in the browser (its discovery document names no end_session_endpoint)")
	}
	var hint string
	if c, err := m.Held(ctx); err == nil {
		hint = c.IDToken
	}
	revoked := m.Logout(ctx)
	if revoked != nil && !errors.Is(revoked, ErrRevocationPending) && !errors.Is(revoked, ErrRevocationUnsupported) {
		return revoked
	}

	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	state := randomString(24)
	target := func(redirect string) (string, error) {
		q := url.Values{"client_id": {m.cfg.ClientID}, "post_logout_redirect_uri": {redirect}, "state": {state}}
		if hint != "" {
			q.Set("id_token_hint", hint)
		}
		if fallback {
			q.Set("returnTo", redirect+"?state="+url.QueryEscape(state))
		}
		return withParams(endpoint, q)
	}
	l, err := listenSignedOut(state, pageTexts{app: opts.AppName}, target)
	if err != nil {
		return err
	}
	defer l.close()
	if err := opts.open(ctx, l.start); err != nil {
		return err
	}
	select {
	case <-l.done:
		return revoked
	case <-ctx.Done():
		return signInError(ctx, ctx.Err())
	}
}

// signedOutListener is the one-shot loopback listener the provider sends
// the browser back to after its sign-out.
type signedOutListener struct {
	server
	// start is the address the browser is given, which sends it on to
	// target, the provider's end-session address; redirect is where the
	// provider sends it back.
	start, target, redirect string
	done                    chan struct{}
}

// listenSignedOut starts the listener; target makes the provider's
// end-session address from the address it sends the browser back to.
func listenSignedOut(state string, page pageTexts, target func(redirect string) (string, error)) (*signedOutListener, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoLoopback, err)
	}
	origin := "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	key := randomString(24)
	l := &signedOutListener{
		start:    origin + signOutStartPath + "?k=" + key,
		redirect: origin + signedOutPath,
		done:     make(chan struct{}),
	}
	if l.target, err = target(l.redirect); err != nil {
		ln.Close()
		return nil, err
	}
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc(signOutStartPath, func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("k")), []byte(key)) != 1 || !fromThisUser(r) {
			writePage(w, http.StatusForbidden, page.foreign())
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, l.target, http.StatusFound)
	})
	mux.HandleFunc(signedOutPath, func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("state")), []byte(state)) != 1 {
			writePage(w, http.StatusBadRequest, page.foreign())
			return
		}
		once.Do(func() { close(l.done) })
		writePage(w, http.StatusOK, page.signedOut())
	})
	l.server = serveLoopback(ln, mux)
	return l, nil
}

// Timeouts of a sign-out: waiting for another process's renewal to end,
// and telling the provider.
const (
	logoutLockTimeout = 10 * time.Second
	revokeTimeout     = 10 * time.Second
)

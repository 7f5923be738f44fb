package session

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"golang.org/x/oauth2"
)

// NamedToken is an access token for one API, obtained with the session's
// refresh token and kept under its name, in memory and in the store:
// PowerAuth's named tokens, Auth0's API credentials. It is held, handed
// out and renewed exactly as the session's own token is, and has the same
// four ways to be used ([NamedToken.Credentials],
// [NamedToken.TokenSource], [NamedToken.Client], [NamedToken.Header]);
// get one with [Manager.NamedToken].
//
// Named tokens go with sign-out and with the end of the session. Each
// request for one spends the refresh token under the cross-process lock,
// and a rotated refresh token replaces the session's own, as a renewal
// does. A NamedToken is safe for concurrent use: concurrent requests for
// one name make one request to the provider.
type NamedToken struct{ t *token }

// NamedToken returns the named token called name: for the API that
// [Config.APIs] declares under name or, when none is declared, for the
// one it was issued for, as the store holds it. A token held for another
// audience or other scopes than those declared is not used: a new one is
// asked for. A name neither declared nor held fails with [ErrNotGranted]
// when it is used.
//
// The handle asks nothing by itself: the provider is asked only when a
// valid token is needed and none is held.
func (m *Manager) NamedToken(name string) *NamedToken {
	m.mu.Lock()
	defer m.mu.Unlock()
	return &NamedToken{t: m.namedTokenLocked(name)}
}

// namedTokenLocked is the token called name, made on first use. m.mu is
// held.
func (m *Manager) namedTokenLocked(name string) *token {
	if t, ok := m.named[name]; ok {
		return t
	}
	var want *API
	if api, ok := m.cfg.APIs[name]; ok {
		want = &API{Audience: api.Audience, Scopes: slices.Clone(api.Scopes)}
	}
	t := m.newToken(name, want)
	if m.named == nil {
		m.named = make(map[string]*token)
	}
	m.named[name] = t
	t.publishLocked()
	return t
}

// Credentials returns the named token, valid for at least minTTL, as
// [Manager.Credentials] returns the session's: the one held, or a new one
// from the provider, stored before it is returned; in steady state with
// no lock and no allocation, and shared (do not change it).
//
// Errors: those of [Manager.Credentials], and [ErrNotGranted] (the
// provider refused the API, or no API is declared or held under this
// name).
func (n *NamedToken) Credentials(ctx context.Context, minTTL time.Duration) (*Credentials, error) {
	return n.t.get(ctx, minTTL)
}

// TokenSource returns the named token as an [oauth2.TokenSource], as
// [Manager.TokenSource] does the session's. A DPoP token needs a proof
// with each request: send requests with [NamedToken.Client] then.
func (n *NamedToken) TokenSource(minTTL time.Duration) oauth2.TokenSource {
	return source{t: n.t, minTTL: minTTL}
}

// Client returns an [*http.Client] that authorizes each request with the
// named token, as [Manager.Client] does with the session's.
func (n *NamedToken) Client(ctx context.Context) *http.Client { return n.t.client(ctx) }

// Header returns the header lines that authorize one request with the
// named token, for a request sent by other means; see [Manager.Header].
func (n *NamedToken) Header(ctx context.Context, method, target string) (http.Header, error) {
	return n.t.header(ctx, method, target)
}

// Remove deletes the named token from memory and the store, without
// telling the provider. Removing one that is not held is no error.
func (n *NamedToken) Remove(ctx context.Context) error {
	return n.t.m.editNamed(ctx, func(records map[string]record) {
		delete(records, n.t.name)
	})
}

// granted says whether session's grant can include api, as far as the
// sign-in tells: an API whose resource indicator the sign-in did not send
// is refused here, without asking the provider, since some providers
// (oidc-provider) spend the refresh token on such a request and end the
// session. With the audience parameter (Auth0) or credentials that do not
// say, the provider is asked.
func (m *Manager) granted(session *Credentials, api API) error {
	if m.cfg.ResourceParameter != "resource" || session.Resources == nil || slices.Contains(session.Resources, api.Audience) {
		return nil
	}
	return fmt.Errorf("%w: the sign-in did not ask for %s; sign in again to include it", ErrNotGranted, api.Audience)
}

// TokenInfo describes a named token held, without the token.
type TokenInfo struct {
	// Name is the token's name.
	Name string
	// Audience and Scopes are what it was asked for.
	Audience string
	Scopes   []string
	// Expiry is when the token ends; zero when the provider did not say.
	Expiry time.Time
	// Bound says whether it is bound to the DPoP key.
	Bound bool
}

// Tokens lists the named tokens held, by name, without the tokens: for a
// program that shows them. It reads memory and the store only.
func (m *Manager) Tokens(ctx context.Context) ([]TokenInfo, error) {
	session, err := m.load(ctx)
	if err != nil || session == nil {
		return nil, err
	}
	if err := m.loadNamed(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var list []TokenInfo
	for name, t := range m.named {
		if c := t.creds; c != nil {
			list = append(list, TokenInfo{Name: name, Audience: t.api.Audience, Scopes: slices.Clone(t.api.Scopes), Expiry: c.Expiry, Bound: c.bound()})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, nil
}

// editNamed changes the named tokens stored, under the lock.
func (m *Manager) editNamed(ctx context.Context, edit func(map[string]record)) error {
	lock, err := m.store.lock(ctx)
	if err != nil {
		return err
	}
	defer lock.Release()
	records, err := m.readNamedLocked(ctx)
	if err != nil {
		return err
	}
	before := len(records)
	edit(records)
	if len(records) != before {
		if err := m.store.writeNamed(ctx, records); err != nil {
			return err
		}
	}
	m.setNamed(records)
	return nil
}

package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"time"

	"golang.org/x/oauth2"
)

// API says what a named token is for: one API, and the scopes asked of
// it.
type API struct {
	// Audience names the API: its resource indicator (RFC 8707), an
	// absolute URI, or with [Config.ResourceParameter] "audience" its
	// Auth0 API identifier.
	Audience string
	// Scopes are asked for the token; empty means all that the grant
	// holds for the API.
	Scopes []string
}

// validName is what a named token may be called: it is typed on command
// lines and printed in lists.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ErrUnknownAPI means a named token was asked for by a name that neither
// [Config.APIs] declares nor the store holds, and without an [API].
var ErrUnknownAPI = errors.New("no API is declared under this name")

// CheckAPI says what is wrong with api, declared under name, for a
// provider that takes the parameter param ([Config.ResourceParameter]):
// the checks of [New], for a program that reads declarations from its
// own configuration.
func CheckAPI(name string, api API, param string) error { return api.check(name, param) }

// check is [CheckAPI].
func (api API) check(name, param string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("the API name %q is not usable: use letters, digits, '.', '_' and '-'", name)
	}
	if api.Audience == "" {
		return fmt.Errorf("the API %q has no audience", name)
	}
	if param == "resource" {
		u, err := url.Parse(api.Audience)
		if err != nil || !u.IsAbs() || u.Fragment != "" {
			return fmt.Errorf("the audience %q of the API %q is not an absolute URI without a fragment, as a resource indicator must be", api.Audience, name)
		}
	}
	return nil
}

// equal reports whether api and o ask for the same audience and scopes.
func (api API) equal(o API) bool {
	if api.Audience != o.Audience || len(api.Scopes) != len(o.Scopes) {
		return false
	}
	if slices.Equal(api.Scopes, o.Scopes) {
		return true // the usual case, without a copy
	}
	a, b := slices.Clone(api.Scopes), slices.Clone(o.Scopes)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// NamedToken is an access token for one API, obtained with the session's
// refresh token and kept under its name, in memory and in the store, like
// the session's own credentials: PowerAuth's named tokens and Auth0's
// API credentials. Get one with [Manager.NamedToken] or
// [Manager.NamedTokenFor]; it is a handle, and asks the provider only
// when a valid token is needed and none is held.
//
// Named tokens go with sign-out and with the end of the session. Each
// request for one spends the refresh token under the cross-process lock,
// and a rotated refresh token replaces the session's own, as a renewal
// does. A NamedToken is safe for concurrent use: concurrent requests for
// one name make one request to the provider.
type NamedToken struct {
	m    *Manager
	name string
	api  *API // nil: as declared in Config.APIs or stored
}

// NamedToken returns the named token called name: for the API that
// [Config.APIs] declares under name, or else for the one it was first
// asked for with [Manager.NamedTokenFor] (it is then kept in the store).
// A name known to neither fails with [ErrUnknownAPI] when used.
func (m *Manager) NamedToken(name string) *NamedToken {
	return &NamedToken{m: m, name: name}
}

// NamedTokenFor returns the named token called name, for api: asked for
// ad hoc, and requested again when the one held is for another audience
// or other scopes. The provider issues it only when the sign-in included
// the API (see [Config.APIs]); otherwise using it fails with
// [ErrNotGranted].
func (m *Manager) NamedTokenFor(name string, api API) *NamedToken {
	api.Scopes = slices.Clone(api.Scopes)
	return &NamedToken{m: m, name: name, api: &api}
}

// Name is the token's name.
func (t *NamedToken) Name() string { return t.name }

// Credentials returns the named token, valid for at least minTTL: the one
// held, or a new one from the provider, stored before it is returned. As
// with [Manager.Credentials], the steady state takes no lock and
// allocates nothing, and the result is shared: do not change it.
//
// Errors: those of [Manager.Credentials], and [ErrUnknownAPI],
// [ErrNotGranted] (the provider refused the API: declare it and sign in
// again).
func (t *NamedToken) Credentials(ctx context.Context, minTTL time.Duration) (*Credentials, error) {
	m := t.m
	if h, ok := m.hotNamedToken(t.name, t.api, minTTL); ok {
		return h.c, nil
	}
	main, err := m.load(ctx)
	if err != nil {
		return nil, err
	}
	if main == nil {
		return nil, ErrNoCredentials
	}
	if c := m.cachedNamed(ctx, t.name, t.api, minTTL); c != nil {
		return c, nil
	}
	if t.api != nil {
		if err := t.api.check(t.name, m.cfg.ResourceParameter); err != nil {
			return nil, err
		}
	}
	return m.namedFlight(t.name).do(ctx, func() (*Credentials, error) {
		ctx, cancel := context.WithTimeout(m.ctx, renewTimeout)
		defer cancel()
		return m.requestNamed(ctx, t.name, t.api, minTTL, "")
	})
}

// Exists reports whether a token of this name is held, valid or not. It
// reads memory and the store only.
func (t *NamedToken) Exists(ctx context.Context) bool {
	records, err := t.m.namedRecords(ctx)
	if err != nil {
		return false
	}
	_, ok := records[t.name]
	return ok
}

// TokenSource returns the named token as an [oauth2.TokenSource], like
// [Manager.TokenSource]. A DPoP token needs a proof with each request:
// send requests with [NamedToken.Client] or [Transport] then.
func (t *NamedToken) TokenSource(minTTL time.Duration) oauth2.TokenSource {
	return namedSource{t: t, minTTL: minTTL}
}

// Client returns an [*http.Client] that authorizes each request with the
// named token, as [Manager.Client] does with the session's.
func (t *NamedToken) Client(ctx context.Context) *http.Client {
	return t.m.client(ctx, namedSource{t: t, minTTL: clientMinTTL})
}

// Header returns the header lines that authorize one request with the
// named token; see [Manager.Header].
func (t *NamedToken) Header(ctx context.Context, method, target string) (http.Header, error) {
	return header(ctx, namedSource{t: t, minTTL: clientMinTTL}, method, target)
}

// Remove deletes the named token from memory and the store, without
// telling the provider. Removing one that is not held is no error.
func (t *NamedToken) Remove(ctx context.Context) error {
	err := t.m.editNamed(ctx, func(records map[string]namedRecord) {
		delete(records, t.name)
	})
	return err
}

// Revoke asks the provider to revoke the named token (RFC 7009), then
// removes it. When the provider cannot be reached, the token is kept and
// the error wraps [ErrProviderUnreachable]. When the provider cannot
// revoke it (it has no revocation endpoint, or answers
// unsupported_token_type, as for JWT access tokens, which are checked
// without asking it), the token is removed and the error wraps
// [ErrRevocationUnsupported]: it stays valid until it expires.
func (t *NamedToken) Revoke(ctx context.Context) error {
	records, err := t.m.namedRecords(ctx)
	if err != nil {
		return err
	}
	rec, ok := records[t.name]
	if !ok {
		return nil
	}
	p, err := t.m.Provider(ctx)
	if err != nil {
		return err
	}
	var pe *ProviderError
	err = ErrRevocationUnsupported
	if p.RevocationEndpoint != "" {
		err = t.m.revoke(ctx, p, rec.Token.AccessToken, "access_token")
	}
	switch {
	case errors.As(err, &pe) && pe.Code == "unsupported_token_type":
		err = fmt.Errorf("%w: %w", ErrRevocationUnsupported, err)
	case err != nil && !errors.Is(err, ErrRevocationUnsupported):
		return err
	}
	return errors.Join(err, t.Remove(ctx))
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

// Tokens lists the named tokens held, by name. It reads memory and the
// store only.
func (m *Manager) Tokens(ctx context.Context) ([]TokenInfo, error) {
	records, err := m.namedRecords(ctx)
	if err != nil {
		return nil, err
	}
	list := make([]TokenInfo, 0, len(records))
	for name, rec := range records {
		c := rec.credentials()
		list = append(list, TokenInfo{Name: name, Audience: rec.Audience, Scopes: slices.Clone(rec.Scopes), Expiry: c.Expiry, Bound: c.Bound()})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, nil
}

// RemoveTokens deletes every named token from memory and the store,
// without telling the provider. The session itself stays.
func (m *Manager) RemoveTokens(ctx context.Context) error {
	err := m.editNamed(ctx, func(records map[string]namedRecord) { clear(records) })
	return err
}

// namedSource is a named token as a token source.
type namedSource struct {
	t      *NamedToken
	minTTL time.Duration
}

// Token implements [oauth2.TokenSource].
func (s namedSource) Token() (*oauth2.Token, error) {
	if h, ok := s.t.m.hotNamedToken(s.t.name, s.t.api, s.minTTL); ok {
		return h.tok, nil
	}
	return s.slowToken()
}

// slowToken is Token when the hot path has no token: it may ask the
// provider.
func (s namedSource) slowToken() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(s.t.m.ctx, tokenTimeout)
	defer cancel()
	c, err := s.t.Credentials(ctx, s.minTTL)
	if err != nil {
		return nil, err
	}
	return c.oauth2Token(), nil
}

func (s namedSource) present(ctx context.Context) (presented, error) {
	c, err := s.t.Credentials(ctx, s.minTTL)
	if err != nil {
		return presented{}, err
	}
	return s.t.m.presentation(ctx, c)
}

// renewAfter asks for a new named token when the one refused is still
// the one held.
func (s namedSource) renewAfter(ctx context.Context, refused string) error {
	err := s.t.m.editNamed(ctx, func(records map[string]namedRecord) {
		if rec, ok := records[s.t.name]; ok && rec.Token.AccessToken == refused {
			delete(records, s.t.name)
		}
	})
	if err != nil {
		return err
	}
	_, err = s.t.Credentials(ctx, s.minTTL)
	return err
}

func (s namedSource) manager() *Manager { return s.t.m }

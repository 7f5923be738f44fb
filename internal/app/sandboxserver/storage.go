package sandboxserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/latchapp/latch/internal/app/sandboxclient"
)

// ClientID is the sandbox's one client: Latch itself, a native public
// client with a loopback redirect on any port.
const ClientID = sandboxclient.ClientID

// Scopes of the Management API, as at Auth0.
const (
	ScopeReadCurrentUser     = "read:current_user"
	ScopeUpdateCurrentUserMD = "update:current_user_metadata"
)

// storage is the sandbox's op.Storage: authorization requests and device
// codes in memory, everything else in the persisted state.
type storage struct {
	mu         sync.Mutex
	st         *state
	path       string
	now        func() time.Time
	accessTTL  time.Duration
	refreshTTL time.Duration
	// reuseInterval is how long a rotated refresh token may be spent
	// again (see Config.ReuseInterval).
	reuseInterval time.Duration
	loginURL      func(id string) string
	issuer        string

	authRequests map[string]*authRequest
	codes        map[string]string // code -> auth request ID
	devices      map[string]*deviceEntry
	userCodes    map[string]string // user code -> device code
	// approved holds the resources of device authorizations handed to the
	// engine approved, until it makes their tokens.
	approved map[*op.DeviceAuthorizationState][]string
}

type deviceEntry struct {
	userCode  string
	resources []string
	state     op.DeviceAuthorizationState
}

// cryptoKey is the state's secret.
func (s *storage) cryptoKey() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CryptoKey
}

// saveNew writes the state when its file does not exist yet.
func (s *storage) saveNew() error {
	if _, err := os.Stat(s.path); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.persistLocked(); err != nil {
		return fmt.Errorf("sandbox: saving its state: %w", err)
	}
	return nil
}

func (s *storage) persistLocked() error {
	s.st.prune(s.now())
	return s.st.save(s.path)
}

// authRequest is an authorization request in progress.
type authRequest struct {
	ID            string
	ClientID      string
	RedirectURI   string
	Scopes        []string
	State         string
	Nonce         string
	ResponseType  oidc.ResponseType
	ResponseMode  oidc.ResponseMode
	CodeChallenge *oidc.CodeChallenge
	Audience      []string
	Resources     []string // asked for with the resource parameter
	DPoPJKT       string   // the DPoP key the code is bound to
	Prompt        []string // what the request asks of the sign-in page
	LoginHint     string
	Subject       string
	AuthTime      time.Time
	Created       time.Time
	done          bool
}

func (a *authRequest) GetID() string                         { return a.ID }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return append([]string{a.ClientID}, a.Audience...) }
func (a *authRequest) GetAuthTime() time.Time                { return a.AuthTime }
func (a *authRequest) GetClientID() string                   { return a.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.CodeChallenge }
func (a *authRequest) GetNonce() string                      { return a.Nonce }
func (a *authRequest) GetRedirectURI() string                { return a.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.ResponseMode }
func (a *authRequest) GetScopes() []string                   { return a.Scopes }
func (a *authRequest) GetState() string                      { return a.State }
func (a *authRequest) GetSubject() string                    { return a.Subject }
func (a *authRequest) Done() bool                            { return a.done }

// refreshRequest is what a refresh token stands for, and the one API a
// token is asked for with it, if any.
type refreshRequest struct {
	token    *refreshToken
	grant    *grant
	scopes   []string
	resource string
}

func (r *refreshRequest) GetAMR() []string       { return r.grant.AMR }
func (r *refreshRequest) GetAuthTime() time.Time { return r.grant.AuthTime }
func (r *refreshRequest) GetClientID() string    { return r.grant.ClientID }
func (r *refreshRequest) GetSubject() string     { return r.grant.Subject }

// GetAudience is the API asked for, else the session's audience.
func (r *refreshRequest) GetAudience() []string {
	if r.resource != "" {
		return []string{r.resource}
	}
	return r.token.Audience
}

// GetScopes are the scopes of the token: for an API, without the OpenID
// ones, which are for the session alone.
func (r *refreshRequest) GetScopes() []string {
	if r.resource == "" {
		return r.scopes
	}
	return slices.DeleteFunc(slices.Clone(r.scopes), func(s string) bool {
		switch s {
		case oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess, oidc.ScopePhone, oidc.ScopeAddress:
			return true
		}
		return false
	})
}

func (r *refreshRequest) SetCurrentScopes(scopes []string) { r.scopes = scopes }

type notFound struct{ what string }

func (e notFound) Error() string { return e.what + " not found" }
func (notFound) IsNotFound()     {}

// CreateAuthRequest implements op.Storage. It requires PKCE with S256.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired()
	}
	if req.CodeChallenge == "" || req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method=S256 is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &authRequest{
		ID:            randomID(),
		ClientID:      req.ClientID,
		RedirectURI:   req.RedirectURI,
		Scopes:        req.Scopes,
		State:         req.State,
		Nonce:         req.Nonce,
		ResponseType:  req.ResponseType,
		ResponseMode:  req.ResponseMode,
		CodeChallenge: &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod},
		Subject:       userID,
		Created:       s.now(),
		Resources:     extrasOf(ctx).resources,
		DPoPJKT:       extrasOf(ctx).dpopJKT,
		Prompt:        req.Prompt,
		LoginHint:     req.LoginHint,
	}
	for id, old := range s.authRequests { // forget abandoned sign-ins
		if s.now().Sub(old.Created) > 30*time.Minute {
			delete(s.authRequests, id)
		}
	}
	s.authRequests[a.ID] = a
	return a, nil
}

// AuthRequestByID implements op.Storage.
func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authRequests[id]
	if !ok {
		return nil, notFound{"authorization request"}
	}
	return a, nil
}

// AuthRequestByCode implements op.Storage.
func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authRequests[s.codes[code]]
	if !ok {
		return nil, notFound{"authorization code"}
	}
	return a, nil
}

// SaveAuthCode implements op.Storage.
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest implements op.Storage: a code is used once.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.authRequests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// completeLogin marks an authorization request as signed in by username.
// signInAsks reports what the authorization request id asks of the
// sign-in page: the form even to a signed-in browser (prompt login or
// select_account), and whom it hints at.
func (s *storage) signInAsks(id string) (form bool, hint string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authRequests[id]
	if !ok {
		return true, ""
	}
	return slices.Contains(a.Prompt, oidc.PromptLogin) || slices.Contains(a.Prompt, oidc.PromptSelectAccount), a.LoginHint
}

func (s *storage) completeLogin(id, username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authRequests[id]
	if !ok {
		return errors.New("this sign-in has expired; start again from the app")
	}
	a.Subject = subjectOf(username)
	a.AuthTime = s.now()
	a.done = true
	return nil
}

func (s *storage) newAccessTokenLocked(g *grant, scopes, audience []string, jkt string) *accessToken {
	at := &accessToken{
		ID: randomID(), GrantID: g.ID, Subject: g.Subject, ClientID: g.ClientID,
		Scopes: scopes, Audience: audience, Expiry: s.now().Add(s.accessTTL), JKT: jkt,
	}
	s.st.Access[at.ID] = at
	return at
}

// CreateAccessToken implements op.Storage (flows without a refresh token).
func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	jkt, err := boundKey(ctx, req)
	if err != nil {
		return "", time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.grantForLocked(req)
	at := s.newAccessTokenLocked(g, req.GetScopes(), req.GetAudience(), jkt)
	if err := s.persistLocked(); err != nil {
		return "", time.Time{}, err
	}
	return at.ID, at.Expiry, nil
}

// grantForLocked starts a grant for a new sign-in.
func (s *storage) grantForLocked(req op.TokenRequest) *grant {
	g := &grant{ID: randomID(), Subject: req.GetSubject(), AuthTime: s.now(), AMR: []string{"pwd"}}
	switch r := req.(type) {
	case *authRequest:
		g.ClientID, g.AuthTime, g.Resources = r.ClientID, r.AuthTime, r.Resources
	case *op.DeviceAuthorizationState:
		g.ClientID, g.AuthTime, g.AMR = r.ClientID, r.AuthTime, r.AMR
		g.Resources = s.approved[r]
		delete(s.approved, r)
	case *refreshRequest:
		return r.grant
	}
	s.st.Grants[g.ID] = g
	return g
}

// CreateAccessAndRefreshTokens implements op.Storage. A refresh rotates the
// token: the presented one is spent, and presenting it again revokes the
// grant.
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	jkt, err := boundKey(ctx, req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var g *grant
	next := &refreshToken{ID: randomID(), Scopes: req.GetScopes(), Audience: req.GetAudience(), JKT: jkt, Expiry: s.now().Add(s.refreshTTL)}
	if current == "" {
		g = s.grantForLocked(req)
	} else {
		// Checked again under this lock: two requests with one token may
		// both have passed TokenRequestByRefreshToken.
		rt, live, err := s.liveRefreshLocked(current)
		if err != nil {
			return "", "", time.Time{}, err
		}
		if !rt.Rotated {
			rt.Rotated, rt.RotatedAt = true, s.now()
		}
		g = live
		// The next refresh token stands for the whole grant, as the one
		// spent did, whatever one token was asked for.
		next.Scopes, next.Audience, next.JKT = rt.Scopes, rt.Audience, rt.JKT
	}
	next.GrantID = g.ID
	at := s.newAccessTokenLocked(g, req.GetScopes(), req.GetAudience(), jkt)
	token := randomID() + randomID()
	s.st.Refresh[hashToken(token)] = next
	if err := s.persistLocked(); err != nil {
		return "", "", time.Time{}, err
	}
	return at.ID, token, at.Expiry, nil
}

// TokenRequestByRefreshToken implements op.Storage, with reuse detection,
// the DPoP binding of the token, and the API a token is asked for.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	e := extrasOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, g, err := s.liveRefreshLocked(token)
	if err != nil {
		return nil, err
	}
	if rt.JKT != "" && rt.JKT != e.proofJKT {
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token is bound to a DPoP key, and the request carries no proof of it")
	}
	// A resource outside the grant was refused before the engine (see
	// extend), which would answer any error here with invalid_grant.
	return &refreshRequest{token: rt, grant: g, scopes: rt.Scopes, resource: e.resource}, nil
}

// reuseDetected is the description of the answer to a refresh token
// spent twice: words that a client can tell apart from an expiry or a
// revocation.
const reuseDetected = "refresh token reuse detected: it was already used, so the session was revoked"

// refreshProblem is why the refresh token cannot be spent, in the words
// the answer's description gives, "" when it can: checked before the
// engine, which answers every refusal with a bare invalid_grant. Reuse
// revokes the grant here, as it would there.
func (s *storage) refreshProblem(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, _, err := s.liveRefreshLocked(token); err != nil {
		var oe *oidc.Error
		if errors.As(err, &oe) {
			return oe.Description
		}
		return err.Error()
	}
	return ""
}

// granted reports whether the grant of a live refresh token includes the
// resource.
func (s *storage) granted(token, resource string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.st.Refresh[hashToken(token)]
	if !ok {
		return true // the engine refuses the token itself
	}
	g, ok := s.st.Grants[rt.GrantID]
	return !ok || slices.Contains(g.Resources, resource)
}

// boundKey is the DPoP key that the tokens made for req are bound to: the
// key of the request's proof. A code bound to a key at sign-in
// (dpop_jkt) needs a proof of that key.
func boundKey(ctx context.Context, req op.TokenRequest) (string, error) {
	jkt := extrasOf(ctx).proofJKT
	if a, ok := req.(*authRequest); ok && a.DPoPJKT != "" && a.DPoPJKT != jkt {
		return "", oidc.ErrInvalidGrant().WithDescription("the authorization code is bound to another DPoP key")
	}
	return jkt, nil
}

// liveRefreshLocked finds a refresh token that may be spent, and its grant.
// Presenting a rotated token is reuse: it revokes the whole grant.
func (s *storage) liveRefreshLocked(token string) (*refreshToken, *grant, error) {
	rt, ok := s.st.Refresh[hashToken(token)]
	if !ok {
		return nil, nil, oidc.ErrInvalidGrant().WithDescription("the refresh token was revoked, or was never issued")
	}
	if s.now().After(rt.Expiry) {
		return nil, nil, oidc.ErrInvalidGrant().WithDescription("the refresh token expired")
	}
	if rt.Revoked == "reuse" {
		return nil, nil, oidc.ErrInvalidGrant().WithDescription("the session was revoked: refresh token reuse was detected (one of its refresh tokens was used twice)")
	}
	if rt.Rotated && !s.now().Before(rt.RotatedAt.Add(s.reuseInterval)) {
		s.st.revokeGrant(rt.GrantID, "reuse")
		_ = s.persistLocked()
		return nil, nil, oidc.ErrInvalidGrant().WithDescription(reuseDetected)
	}
	g, ok := s.st.Grants[rt.GrantID]
	if !ok {
		return nil, nil, oidc.ErrInvalidGrant().WithDescription("the session was revoked")
	}
	return rt, g, nil
}

// TerminateSession implements op.Storage. Sign-out at the provider ends
// the browser's session alone (see browsersession.go), as Auth0's
// /v2/logout does: the grants stay, so that another account signed in as
// the same person with the same client keeps its session. The program
// signing out revokes its own refresh token (RFC 7009) itself.
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// GetRefreshTokenInfo implements op.Storage.
func (s *storage) GetRefreshTokenInfo(_ context.Context, clientID, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.st.Refresh[hashToken(token)]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	g, ok := s.st.Grants[rt.GrantID]
	if !ok || g.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return g.Subject, "rt:" + rt.ID, nil
}

// RevokeToken implements op.Storage (RFC 7009). Revoking a refresh token
// revokes its whole grant, access tokens included.
func (s *storage) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.st.Access[tokenOrID]; ok {
		if at.ClientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.st.Access, tokenOrID)
	} else {
		for _, rt := range s.st.Refresh {
			if "rt:"+rt.ID == tokenOrID {
				s.st.revokeGrant(rt.GrantID, "")
				break
			}
		}
	}
	if err := s.persistLocked(); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

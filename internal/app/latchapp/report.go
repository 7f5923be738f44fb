package latchapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

// SessionReport is what is known of an account's session: what latch
// status prints (its JSON is latch status --json). It holds no token.
type SessionReport struct {
	Account string `json:"account"`
	// Active marks the active account, in a list of them.
	Active        bool      `json:"active,omitempty"`
	State         string    `json:"state"`
	Reason        string    `json:"reason,omitempty"`
	Issuer        string    `json:"issuer"`
	Subject       string    `json:"subject,omitempty"`
	Name          string    `json:"name,omitempty"`
	Email         string    `json:"email,omitempty"`
	AccessExpiry  time.Time `json:"access_token_expiry,omitzero"`
	AccessValid   bool      `json:"access_token_valid"`
	RefreshToken  bool      `json:"refresh_token"`
	RefreshExpiry time.Time `json:"refresh_token_expiry,omitzero"`
	LastRenewal   time.Time `json:"last_renewal,omitzero"`
	// DPoP says the tokens are bound to a key in the keychain.
	DPoP bool `json:"dpop"`
	// NamedTokens counts the named tokens held (see latch tokens).
	NamedTokens int `json:"named_tokens"`
	// PendingRevocations counts the tokens of earlier sign-outs that the
	// provider has not been told of yet; LastRevocation is when it was
	// last told of one.
	PendingRevocations int       `json:"pending_revocations"`
	LastRevocation     time.Time `json:"last_revocation,omitzero"`
	// Confirm names the tokens handed out only once the person allows it
	// in the desktop app (confirm = true): [OwnAccessToken] and [OwnIDToken]
	// for the account's own, and the named tokens' names.
	Confirm []string `json:"confirm,omitempty"`
}

// Report says what is known of the session, from memory and the
// keychain; signedIn is false when nobody is signed in. It does not touch
// the network, unless the access token expired (it asks the provider to
// renew it, to say whether the session goes on) or sign-outs are still
// to be told to the provider (they are sent first).
func (a *Account) Report(ctx context.Context) (rep SessionReport, signedIn bool, err error) {
	rep = SessionReport{Account: a.Config.Account, Issuer: a.Config.Issuer}
	if a.Config.Confirm {
		rep.Confirm = []string{OwnAccessToken, OwnIDToken}
	}
	rep.Confirm = append(rep.Confirm, a.Config.ConfirmAPIs...)
	creds, err := a.Manager.Held(ctx)
	if err != nil && !errors.Is(err, session.ErrNoCredentials) {
		return rep, false, err
	}
	if now := time.Now(); creds != nil && !creds.ValidFor(now, 0) && creds.CanRenew(now) {
		// The access token expired: whether the session goes on is the
		// provider's to say (renewed, offline, or ended and why).
		renewCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, _ = a.Manager.Credentials(renewCtx, 0)
		cancel()
		if creds, err = a.Manager.Held(ctx); err != nil && !errors.Is(err, session.ErrNoCredentials) {
			return rep, false, err
		}
	}
	// Sign-outs the provider has not heard of go now, when it answers.
	sendCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	rep.PendingRevocations, rep.LastRevocation, _ = a.Manager.SendRevocations(sendCtx)
	cancel()
	ev := a.Manager.State()
	rep.State, rep.Reason = ev.State.String(), Describe(ev.Err)
	if creds == nil {
		return rep, false, nil
	}
	p, _ := Person(creds)
	rep.Subject, rep.Name, rep.Email = p.Subject, p.DisplayName(), p.Email
	rep.AccessExpiry, rep.RefreshExpiry, rep.LastRenewal = creds.Expiry, creds.RefreshExpiry, creds.ObtainedAt
	rep.AccessValid = creds.ValidFor(time.Now(), 0)
	rep.RefreshToken = creds.RefreshToken != ""
	rep.DPoP = strings.EqualFold(creds.TokenType, "DPoP")
	if list, err := a.Manager.Tokens(ctx); err == nil {
		rep.NamedTokens = len(list)
	}
	return rep, true, nil
}

// UserMetadata reads the signed-in person's user_metadata, or with
// changes (a nil value removes its key) changes it and returns it as the
// metadata API answers. [profile.ErrNoMetadataAPI] when the provider has
// none.
func (a *Account) UserMetadata(ctx context.Context, changes map[string]any) (map[string]any, error) {
	if a.Metadata.BaseURL == "" {
		return nil, fmt.Errorf("%w: configure --metadata-api, or use the Auth0 preset", profile.ErrNoMetadataAPI)
	}
	creds, err := a.Manager.Held(ctx)
	if err != nil {
		return nil, err
	}
	who, err := Person(creds)
	if err != nil {
		return nil, err
	}
	if changes == nil {
		return a.Metadata.Get(ctx, who.Subject)
	}
	return a.Metadata.Patch(ctx, who.Subject, changes)
}

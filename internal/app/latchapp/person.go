package latchapp

import (
	"context"
	"errors"

	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

// ErrNoIDToken means the credentials carry no ID token to say who is
// signed in.
var ErrNoIDToken = errors.New("the credentials carry no ID token")

// Person is who creds are for, read from their ID token as it was verified
// on receipt. It needs no network.
func Person(creds *session.Credentials) (profile.Profile, error) {
	claims, err := creds.Claims()
	if err != nil {
		return profile.Profile{}, err
	}
	if claims == nil {
		return profile.Profile{}, ErrNoIDToken
	}
	return profile.FromClaims(claims), nil
}

// Details lays what the provider's userinfo endpoint says about p over
// it. A provider without one gives p as it is.
func (a *Account) Details(ctx context.Context, p profile.Profile) (profile.Profile, error) {
	prov, err := a.Manager.Provider(ctx)
	if err != nil {
		return p, err
	}
	if prov.UserinfoEndpoint == "" {
		return p, nil
	}
	info, err := profile.UserInfo(ctx, a.Manager.Client(ctx), prov.UserinfoEndpoint, p.Subject)
	if err != nil {
		return p, err
	}
	return p.Merge(info), nil
}

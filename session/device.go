package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

// DeviceLogin is a device authorization grant (RFC 8628) in progress: show
// UserCode and VerificationURI (or VerificationURIComplete, for example as
// a QR code) to the person, then call Wait.
type DeviceLogin struct {
	// UserCode is what the person types at VerificationURI.
	UserCode string
	// VerificationURI is where the person goes on another device.
	VerificationURI string
	// VerificationURIComplete includes the user code, when the provider
	// gives it.
	VerificationURIComplete string
	// Expiry is when the codes stop working.
	Expiry time.Time
	// Interval is the polling interval the provider asked for.
	Interval time.Duration

	m        *Manager
	response *oauth2.DeviceAuthResponse
	conf     *oauth2.Config
	verifier *Verifier
}

// StartDeviceLogin asks the provider for a device code. Errors wrap
// ErrDiscovery when the provider offers no device authorization endpoint.
func (m *Manager) StartDeviceLogin(ctx context.Context) (*DeviceLogin, error) {
	p, verifier, err := m.provider(ctx)
	if err != nil {
		return nil, err
	}
	if p.DeviceAuthorizationEndpoint == "" {
		return nil, fmt.Errorf("%w: %s offers no device authorization endpoint", ErrDiscovery, p.Issuer)
	}
	conf := m.oauthConfig(p, "")
	var opts []oauth2.AuthCodeOption
	if m.cfg.Audience != "" {
		opts = append(opts, oauth2.SetAuthURLParam("audience", m.cfg.Audience))
	}
	resp, err := conf.DeviceAuth(m.httpContext(ctx), opts...)
	if err != nil {
		return nil, providerError("device sign-in", err)
	}
	interval := time.Duration(resp.Interval) * time.Second
	if interval <= 0 {
		interval = 5 * time.Second
	}
	return &DeviceLogin{
		UserCode:                resp.UserCode,
		VerificationURI:         resp.VerificationURI,
		VerificationURIComplete: resp.VerificationURIComplete,
		Expiry:                  resp.Expiry,
		Interval:                interval,
		m:                       m,
		response:                resp,
		conf:                    conf,
		verifier:                verifier,
	}, nil
}

// Wait polls the provider at the interval it asked for (slower after each
// slow_down), until the person approves or denies, the codes expire, or
// ctx ends. On approval the credentials are verified, stored and returned.
//
// Errors: a *ProviderError with Code "access_denied" or "expired_token";
// context errors on cancel.
func (d *DeviceLogin) Wait(ctx context.Context) (*Credentials, error) {
	tok, err := d.conf.DeviceAccessToken(d.m.httpContext(ctx), d.response)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, &ProviderError{Op: "device sign-in", Code: "expired_token", Description: "the code expired"}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("session: device sign-in: %w", ctx.Err())
		}
		return nil, providerError("device sign-in", err)
	}
	return d.m.acceptToken(ctx, tok, "", d.verifier)
}

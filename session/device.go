package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// webAddress reports whether u is an http or https address, the only
// kind shown to a person to open.
func webAddress(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Host != ""
}

// DeviceLogin is a device authorization grant (RFC 8628) in progress: show
// UserCode and VerificationURI (or VerificationURIComplete, for example as
// a QR code) to the person, then call [DeviceLogin.Wait].
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
	verifier *verifier
	key      *dpopKey
}

// StartDeviceLogin begins a sign-in on another device (the device
// authorization grant, RFC 8628): it asks the provider for a code, which
// the person enters at an address on any device with a browser, such as
// a phone. Use it instead of [Manager.LoginWithBrowser] when the browser
// is elsewhere, or no loopback listener can be opened here
// ([ErrNoLoopback]). Errors match [ErrClientRejected] when the provider
// offers no device authorization.
func (m *Manager) StartDeviceLogin(ctx context.Context) (*DeviceLogin, error) {
	p, verifier, err := m.providers.get(ctx)
	if err != nil {
		return nil, err
	}
	go m.retryRevocations() // of earlier sign-outs, now that the provider answers
	if p.DeviceAuthorizationEndpoint == "" {
		return nil, &providerProblem{problem: "the provider offers no device authorization endpoint"}
	}
	key, err := m.newSignInKey()
	if err != nil {
		return nil, err
	}
	conf := oauthConfig(m.cfg.ClientID, m.cfg.ClientSecret, m.signInScopes(), p, "")
	resp, err := m.deviceAuth(ctx, conf, key)
	if err != nil {
		return nil, providerError("device sign-in", err)
	}
	for _, u := range []string{resp.VerificationURI, resp.VerificationURIComplete} {
		if u != "" && !webAddress(u) {
			return nil, &providerProblem{problem: "the provider's verification address is not an http or https address"}
		}
	}
	if resp.VerificationURI == "" || resp.UserCode == "" {
		return nil, &providerProblem{problem: "the provider's device answer has no verification address or code"}
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
		key:                     key,
	}, nil
}

// deviceAuth asks for a device code (RFC 8628 section 3.1), with the
// parameters of [Manager.signInParams]: golang.org/x/oauth2 cannot repeat
// a parameter, as RFC 8707's resource is.
func (m *Manager) deviceAuth(ctx context.Context, conf *oauth2.Config, key *dpopKey) (*oauth2.DeviceAuthResponse, error) {
	form := m.signInParams(key)
	addClient(form, conf.ClientID, conf.ClientSecret)
	form.Set("scope", strings.Join(conf.Scopes, " "))
	resp, body, err := postForm(ctx, m.http, conf.Endpoint.DeviceAuthURL, form)
	if err != nil {
		return nil, err
	}
	if err := answerError(resp, body); err != nil {
		return nil, err
	}
	var da oauth2.DeviceAuthResponse
	if err := json.Unmarshal(body, &da); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedAnswer, err)
	}
	return &da, nil
}

// Wait polls the provider at the interval it asked for (slower after each
// slow_down), until the person approves or denies, the codes expire, or
// ctx ends. On approval the credentials are verified, stored and returned.
//
// Errors: a [*ProviderError] with Code "access_denied" or "expired_token";
// [ErrSignInTimedOut] when ctx's deadline passes; [context.Canceled] on
// cancel.
func (d *DeviceLogin) Wait(ctx context.Context) (*Credentials, error) {
	tok, err := d.conf.DeviceAccessToken(withHTTPClient(ctx, d.m.refresher.client(d.key)), d.response)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, &ProviderError{Op: "device sign-in", Code: "expired_token", Description: "the code expired"}
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ErrSignInTimedOut
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("device sign-in: %w", ctx.Err())
		}
		return nil, providerError("device sign-in", err)
	}
	return d.m.acceptToken(ctx, tok, "", d.verifier, d.key)
}

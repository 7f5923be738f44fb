package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"golang.org/x/oauth2"
)

// BrowserLogin configures a sign-in through the browser
// ([Manager.LoginWithBrowser]). The zero value opens the person's
// browser and waits five minutes.
type BrowserLogin struct {
	// OpenURL shows the authorization URL to the person, once the
	// listener waits for the browser's answer. Nil opens the person's
	// browser, as gh and kubelogin do: each command of $BROWSER first (a
	// list separated by ':'; "%s" in a command stands for the address,
	// which is added at the end otherwise), then the system's opener
	// ("xdg-open", "open" on macOS, the URL handler on Windows); when
	// none starts, its error wraps [ErrNoBrowser].
	OpenURL func(ctx context.Context, url string) error
	// ShowURL, when set, is called with the authorization URL after
	// OpenURL, and OpenURL's error (nil when the browser opened): the
	// application shows the address, with a way to copy it, so that the
	// person can open it in a browser of their choice. With ShowURL set,
	// a failing OpenURL does not end the sign-in: it keeps waiting for the
	// callback, so that it never dead-ends.
	ShowURL func(url string, openErr error)
	// Timeout bounds the whole sign-in, the person's time in the browser
	// included; 0 means 5 minutes. Cancelling ctx ends it sooner.
	Timeout time.Duration
	// Prompt, when set, is sent as the prompt parameter ("login",
	// "consent", "select_account").
	Prompt string
	// LoginHint, when set, is sent as login_hint.
	LoginHint string
	// AppName names the application on the page the browser shows at the
	// end ("return to AppName"); empty means "the application".
	AppName string
}

// withDefaults fills in the zero fields: the person's browser, and five
// minutes.
func (opts BrowserLogin) withDefaults() BrowserLogin {
	if opts.OpenURL == nil {
		opts.OpenURL = openBrowser
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	return opts
}

// open opens address with OpenURL, then shows it with ShowURL when set:
// a browser that did not open ends the flow only when nothing shows the
// address.
func (opts BrowserLogin) open(ctx context.Context, address string) error {
	openErr := opts.OpenURL(ctx, address)
	switch {
	case opts.ShowURL != nil:
		opts.ShowURL(address, openErr)
	case openErr != nil:
		return fmt.Errorf("opening the browser: %w", openErr)
	}
	return nil
}

// LoginWithBrowser signs the person in through a browser on this
// computer, the usual way: the authorization code flow with PKCE (S256)
// through a loopback redirect (RFC 8252). It listens on 127.0.0.1 on a
// random port for exactly one callback, opens the authorization URL (see
// [BrowserLogin.OpenURL]), checks state, exchanges the code, verifies the
// ID token (nonce included), stores the credentials and returns them. The
// browser is shown a short page saying how it ended. When the browser is
// on another device, use [Manager.StartDeviceLogin].
//
// Errors: a [*ProviderError] when the provider refuses (for example
// access_denied when the person declines); [ErrUnverified] for an answer
// that fails the checks; [ErrNoLoopback] when no listener can be opened;
// [ErrNoBrowser] when no browser opens and no ShowURL is set;
// [ErrSignInTimedOut] when opts.Timeout passes; [context.Canceled] on
// cancel; [ErrKeychainUnavailable] when the credentials cannot be
// stored.
func (m *Manager) LoginWithBrowser(ctx context.Context, opts BrowserLogin) (*Credentials, error) {
	opts = opts.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	p, verifier, err := m.providers.get(ctx)
	if err != nil {
		return nil, signInError(ctx, err)
	}
	go m.retryRevocations() // of earlier sign-outs, now that the provider answers
	key, err := m.newSignInKey()
	if err != nil {
		return nil, err
	}
	state, nonce, pkce := randomString(24), randomString(24), oauth2.GenerateVerifier()
	l, err := listenLoopback(state, p.Issuer, m.cfg.RedirectURL, pageTexts{app: opts.AppName})
	if err != nil {
		return nil, err
	}
	defer l.close()
	conf := oauthConfig(m.cfg.ClientID, m.cfg.ClientSecret, m.signInScopes(), p, l.redirect)

	extra := m.signInParams(key)
	for name, values := range m.cfg.AuthParams {
		extra[name] = values
	}
	extra.Set("nonce", nonce)
	if opts.Prompt != "" {
		extra.Set("prompt", opts.Prompt)
	}
	if opts.LoginHint != "" {
		extra.Set("login_hint", opts.LoginHint)
	}
	authURL, err := withParams(conf.AuthCodeURL(state, oauth2.S256ChallengeOption(pkce)), extra)
	if err != nil {
		return nil, err
	}
	if err := opts.open(ctx, authURL); err != nil {
		return nil, err
	}

	var res callbackResult
	select {
	case res = <-l.results:
	case <-ctx.Done():
		return nil, signInError(ctx, ctx.Err())
	}
	creds, err := m.finishLogin(ctx, res, conf, pkce, nonce, verifier, key)
	res.reply <- err
	return creds, signInError(ctx, err)
}

// signInError marks err as a timed-out sign-in when the sign-in's own
// deadline passed.
func signInError(ctx context.Context, err error) error {
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
		return ErrSignInTimedOut
	}
	return err
}

func (m *Manager) finishLogin(ctx context.Context, res callbackResult, conf *oauth2.Config, pkce, nonce string, verifier *verifier, key *dpopKey) (*Credentials, error) {
	if res.err != nil {
		return nil, res.err
	}
	tok, err := conf.Exchange(withHTTPClient(ctx, m.refresher.client(key)), res.code, oauth2.VerifierOption(pkce))
	if err != nil {
		return nil, providerError("sign-in", err)
	}
	return m.acceptToken(ctx, tok, nonce, verifier, key)
}

// signInScopes are the scopes a sign-in asks for: the configured ones and
// those of the APIs declared.
func (m *Manager) signInScopes() []string {
	scopes := slices.Clone(m.cfg.Scopes)
	for _, name := range slices.Sorted(maps.Keys(m.cfg.APIs)) {
		for _, s := range m.cfg.APIs[name].Scopes {
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	return scopes
}

// signInParams are the parameters that both sign-in flows add to their
// first request: Auth0's audience, the declared APIs as resource
// indicators (RFC 8707), and the DPoP key's thumbprint (RFC 9449 section
// 10), which binds the authorization code to it.
func (m *Manager) signInParams(key *dpopKey) url.Values {
	v := url.Values{}
	if m.cfg.Audience != "" {
		v.Set("audience", m.cfg.Audience)
	}
	if m.cfg.ResourceParameter == "resource" {
		for _, name := range slices.Sorted(maps.Keys(m.cfg.APIs)) {
			if a := m.cfg.APIs[name].Audience; !slices.Contains(v["resource"], a) {
				v.Add("resource", a)
			}
		}
	}
	if key != nil {
		v.Set("dpop_jkt", key.thumbprint)
	}
	return v
}

// signInResources are the APIs a sign-in asks for as resource indicators
// (RFC 8707), none but not nil when none are declared; nil when APIs are
// named with Auth0's audience, where the grant is not the sign-in's to
// say.
func (m *Manager) signInResources() []string {
	if m.cfg.ResourceParameter != "resource" {
		return nil
	}
	return append([]string{}, m.signInParams(nil)["resource"]...)
}

// withParams adds extra to the query of address: golang.org/x/oauth2
// sets one value per parameter, and RFC 8707 repeats resource.
func withParams(address string, extra url.Values) (string, error) {
	u, err := url.Parse(address)
	if err != nil {
		return "", fmt.Errorf("the authorization address cannot be read: %w", err)
	}
	q := u.Query()
	for k, vs := range extra {
		q[k] = append(q[k], vs...)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// acceptToken checks the token response of a sign-in, stores it with the
// DPoP key it is bound to (nil: none) and makes it current.
func (m *Manager) acceptToken(ctx context.Context, tok *oauth2.Token, nonce string, verifier *verifier, key *dpopKey) (*Credentials, error) {
	creds := credentialsFromToken(tok, m.now(), nil)
	if err := checkReceived(creds, key != nil); err != nil {
		return nil, fmt.Errorf("sign-in: %w", err)
	}
	creds.SessionID = randomString(12)
	creds.Resources = m.signInResources()
	if key != nil {
		creds.KeyThumbprint = key.thumbprint
	}
	if creds.IDToken == "" {
		return nil, fmt.Errorf("%w: the provider returned no ID token (is the openid scope requested?)", ErrUnverified)
	}
	if _, err := verifier.verify(ctx, creds.IDToken, nonce); err != nil {
		return nil, fmt.Errorf("sign-in: %w", err)
	}
	if err := m.adopt(ctx, creds, key); err != nil {
		if errors.Is(err, ErrKeychainUnavailable) {
			// Not thrown away: KeepInMemory signs the person in with it.
			m.mu.Lock()
			m.unstored = &unstoredSignIn{creds: creds, key: key}
			m.mu.Unlock()
		}
		return nil, err
	}
	m.mu.Lock()
	m.unstored = nil
	m.mu.Unlock()
	return creds.clone(), nil
}

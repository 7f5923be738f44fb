package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// BrowserLogin configures a sign-in through the system browser.
type BrowserLogin struct {
	// OpenURL shows the authorization URL to the person, normally by
	// opening their browser (see OpenBrowser). It is called once, with the
	// listener already waiting. Required.
	OpenURL func(ctx context.Context, url string) error
	// Timeout bounds the whole sign-in, the person's time in the browser
	// included; 0 means 5 minutes. Cancelling ctx ends it sooner.
	Timeout time.Duration
	// Prompt, when set, is sent as the prompt parameter ("login",
	// "consent", "select_account").
	Prompt string
	// LoginHint, when set, is sent as login_hint.
	LoginHint string
}

// randomString returns n random bytes, base64url-encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// callbackResult is what the loopback listener received.
type callbackResult struct {
	code string
	err  error
	// reply receives the outcome of the sign-in, to show in the browser.
	reply chan error
}

// LoginWithBrowser signs the person in with the authorization code flow and
// PKCE (S256) through a loopback redirect (RFC 8252): it listens on
// 127.0.0.1 on a random port for exactly one callback, opens the
// authorization URL with opts.OpenURL, checks state, exchanges the code,
// verifies the ID token (nonce included), stores the credentials and
// returns them. The browser is shown a short page saying how it ended.
//
// Errors: a *ProviderError when the provider refuses (for example
// access_denied with a wrong password); ErrInvalidCallback for a callback
// with a wrong state; ErrInvalidIDToken; context errors on cancel or
// timeout; ErrKeychainUnavailable when the credentials cannot be stored.
func (m *Manager) LoginWithBrowser(ctx context.Context, opts BrowserLogin) (*Credentials, error) {
	if opts.OpenURL == nil {
		return nil, errors.New("session: BrowserLogin.OpenURL is required")
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	p, verifier, err := m.provider(ctx)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("session: sign-in: loopback listener: %w", err)
	}
	redirect := "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "/callback"
	state, nonce, pkce := randomString(24), randomString(24), oauth2.GenerateVerifier()
	conf := m.oauthConfig(p, redirect)

	results := make(chan callbackResult, 1)
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		first := false
		once.Do(func() { first = true })
		if !first {
			writePage(w, http.StatusGone, "Sign-in already handled", "This sign-in link was already used. You can close this window.")
			return
		}
		res := callbackResult{reply: make(chan error, 1)}
		q := r.URL.Query()
		switch {
		case q.Get("state") != state:
			res.err = fmt.Errorf("%w: state does not match this sign-in", ErrInvalidCallback)
		case q.Get("error") != "":
			res.err = &ProviderError{Op: "sign-in", Code: q.Get("error"), Description: q.Get("error_description")}
		case q.Has("iss") && q.Get("iss") != p.Issuer:
			res.err = fmt.Errorf("%w: answer from another issuer", ErrInvalidCallback)
		case q.Get("code") == "":
			res.err = fmt.Errorf("%w: no authorization code", ErrInvalidCallback)
		default:
			res.code = q.Get("code")
		}
		results <- res
		var outcome error
		select {
		case outcome = <-res.reply:
		case <-r.Context().Done():
			return
		}
		if outcome != nil {
			writePage(w, http.StatusBadRequest, "Sign-in failed", failureText(outcome))
			return
		}
		writePage(w, http.StatusOK, "Signed in", "You are signed in to Latch. You can close this window and return to the app.")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()

	authOpts := []oauth2.AuthCodeOption{
		oauth2.S256ChallengeOption(pkce),
		oauth2.SetAuthURLParam("nonce", nonce),
	}
	if m.cfg.Audience != "" {
		authOpts = append(authOpts, oauth2.SetAuthURLParam("audience", m.cfg.Audience))
	}
	if opts.Prompt != "" {
		authOpts = append(authOpts, oauth2.SetAuthURLParam("prompt", opts.Prompt))
	}
	if opts.LoginHint != "" {
		authOpts = append(authOpts, oauth2.SetAuthURLParam("login_hint", opts.LoginHint))
	}
	if err := opts.OpenURL(ctx, conf.AuthCodeURL(state, authOpts...)); err != nil {
		return nil, fmt.Errorf("session: sign-in: opening the browser: %w", err)
	}

	var res callbackResult
	select {
	case res = <-results:
	case <-ctx.Done():
		return nil, fmt.Errorf("session: sign-in: %w", ctx.Err())
	}
	creds, err := m.finishLogin(ctx, res, conf, pkce, nonce, verifier)
	res.reply <- err
	return creds, err
}

func (m *Manager) finishLogin(ctx context.Context, res callbackResult, conf *oauth2.Config, pkce, nonce string, verifier *Verifier) (*Credentials, error) {
	if res.err != nil {
		return nil, res.err
	}
	tok, err := conf.Exchange(m.httpContext(ctx), res.code, oauth2.VerifierOption(pkce))
	if err != nil {
		return nil, providerError("sign-in", err)
	}
	return m.acceptToken(ctx, tok, nonce, verifier)
}

// acceptToken checks the token response of a sign-in, stores it and makes
// it current.
func (m *Manager) acceptToken(ctx context.Context, tok *oauth2.Token, nonce string, verifier *Verifier) (*Credentials, error) {
	creds := credentialsFromToken(tok, m.clock.Now(), nil)
	if creds.IDToken == "" {
		return nil, fmt.Errorf("%w: the provider returned no ID token (is the openid scope requested?)", ErrInvalidIDToken)
	}
	if _, err := verifier.Verify(ctx, creds.IDToken, nonce); err != nil {
		return nil, fmt.Errorf("session: sign-in: %w", err)
	}
	if err := m.adopt(ctx, creds); err != nil {
		return nil, err
	}
	return creds.clone(), nil
}

func failureText(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Reason()
	}
	switch {
	case errors.Is(err, ErrInvalidCallback):
		return "This answer does not belong to the sign-in Latch started. Please start again from the app."
	case errors.Is(err, ErrInvalidIDToken):
		return "The provider's answer could not be verified. Please try again."
	case errors.Is(err, ErrKeychainUnavailable):
		return "You signed in, but the system keychain is unavailable. Unlock it and try again."
	}
	return "Latch could not complete the sign-in. Please return to the app."
}

func writePage(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s · Latch</title>
<style>body{font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em;color:#222}h1{font-weight:500}</style>
</head><body><h1>%s</h1><p>%s</p></body></html>
`, html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}

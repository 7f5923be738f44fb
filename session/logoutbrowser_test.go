package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// A provider that keeps a session in the browser signs the same person in
// again after a sign-out here alone; after LogoutWithBrowser, the next
// sign-in shows the sign-in form.
func TestLogoutWithBrowserLetsAnotherPersonSignIn(t *testing.T) {
	forEachPeer(t, 0, func(t *testing.T, e *env) {
		m := e.manager(manual)
		b := testbrowser.NewBrowser(e.peer.user, e.peer.password)
		signIn := func(opts BrowserLogin) *Credentials {
			t.Helper()
			ctx, cancel := context.WithTimeout(bg(t), time.Minute)
			defer cancel()
			opts.OpenURL = b.OpenURL
			c, err := m.LoginWithBrowser(ctx, opts)
			if err != nil {
				t.Fatalf("sign-in: %v", err)
			}
			if code, body := b.Result(t); code != http.StatusOK {
				t.Fatalf("the browser ended on %d: %s", code, body)
			}
			return c
		}
		signIn(BrowserLogin{})
		if got := b.SignInForms(); got != 1 {
			t.Fatalf("the first sign-in filled in %d forms, want 1", got)
		}

		// Signed out here only: the provider's own session signs the same
		// person in again, with no form.
		if err := m.Logout(bg(t)); err != nil {
			t.Fatal(err)
		}
		first := signIn(BrowserLogin{})
		if got := b.SignInForms(); got != 1 {
			t.Fatalf("after a sign-out here alone the provider showed its form (%d forms in all); want it to sign the same person in", got)
		}
		// Unless the sign-in asks for the form.
		signIn(BrowserLogin{Prompt: "login"})
		if got := b.SignInForms(); got != 2 {
			t.Fatalf("prompt=login filled in %d forms in all, want 2", got)
		}
		// The session it replaced is revoked at the provider.
		if left, _, err := m.SendRevocations(bg(t)); left != 0 || err != nil {
			t.Fatalf("revocations left %d, %v; want none", left, err)
		}
		if code := e.refreshDirectly(first.RefreshToken); code != "invalid_grant" {
			t.Fatalf("the refresh token of the session a sign-in replaced answered %q, want invalid_grant (revoked)", code)
		}

		var shown string
		err := m.LogoutWithBrowser(bg(t), BrowserLogin{OpenURL: b.OpenURL, ShowURL: func(u string, _ error) { shown = u }, Timeout: time.Minute})
		if err != nil {
			t.Fatalf("LogoutWithBrowser: %v", err)
		}
		if code, body := b.Result(t); code != http.StatusOK || !strings.Contains(body, "You are signed out at the provider too") {
			t.Fatalf("the browser ended on %d: %s; want the loopback page saying the provider signed out", code, body)
		}
		if !strings.HasPrefix(shown, "http://127.0.0.1:") || strings.Contains(shown, "id_token_hint") {
			t.Fatalf("the address shown is %q; want a loopback address with no ID token in it", shown)
		}
		if _, err := m.Held(bg(t)); !errors.Is(err, ErrNoCredentials) {
			t.Fatalf("after LogoutWithBrowser Held gave %v, want ErrNoCredentials", err)
		}
		signIn(BrowserLogin{})
		if got := b.SignInForms(); got != 3 {
			t.Fatalf("after the provider's sign-out the next sign-in filled in %d forms in all, want 3 (the form shown again)", got)
		}
	})
}

// The address given to the browser sends only this sign-out's browser on:
// another key is refused, and the provider's address (with the ID token)
// is not given away.
func TestLogoutWithBrowserStartRefusesOthers(t *testing.T) {
	e := newEnv(t, 0)
	m := e.manager(manual)
	e.login(m)
	started := make(chan string, 1)
	ctx, cancel := context.WithCancel(bg(t))
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- m.LogoutWithBrowser(ctx, BrowserLogin{OpenURL: func(_ context.Context, u string) error { started <- u; return nil }})
	}()
	start := <-started
	forged := start[:strings.Index(start, "?k=")] + "?k=guess"
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(forged)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
		t.Fatalf("a guessed key got %d to %q, want 403 and no address", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = client.Get(start)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, "id_token_hint=") {
		t.Fatalf("the right key got %d to %q, want 302 to the provider with the ID token as a hint", resp.StatusCode, loc)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a sign-out whose browser never came back, cancelled, gave %v; want context.Canceled", err)
	}
}

// A provider whose discovery names no end-session endpoint: with
// Config.EndSessionEndpoint (Auth0's /v2/logout) the browser goes there
// with client_id and returnTo, as Auth0 wants them; without it,
// LogoutWithBrowser refuses before anything is changed.
func TestLogoutWithBrowserAtAConfiguredEndpoint(t *testing.T) {
	op := newFakeOP(t)
	var asked url.Values
	auth0 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.Query()
		http.Redirect(w, r, r.URL.Query().Get("returnTo"), http.StatusFound)
	}))
	t.Cleanup(auth0.Close)

	m, _ := op.signedIn(t, &memStore{}, time.Hour)
	if err := m.LogoutWithBrowser(bg(t), BrowserLogin{}); err == nil || !strings.Contains(err.Error(), "no sign-out in the browser") {
		t.Fatalf("LogoutWithBrowser with no end-session endpoint gave %v; want a refusal", err)
	}
	if _, err := m.Held(bg(t)); err != nil {
		t.Fatalf("a refused LogoutWithBrowser changed the session: %v", err)
	}

	m, creds := op.signedIn(t, &memStore{}, time.Hour, func(c *Config) { c.EndSessionEndpoint = auth0.URL + "/v2/logout" })
	visit := func(_ context.Context, u string) error {
		go func() {
			if resp, err := http.Get(u); err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	err := m.LogoutWithBrowser(bg(t), BrowserLogin{OpenURL: visit, Timeout: 20 * time.Second})
	if err != nil && !errors.Is(err, ErrRevocationPending) && !errors.Is(err, ErrRevocationUnsupported) {
		t.Fatalf("LogoutWithBrowser at the configured endpoint: %v", err)
	}
	if asked.Get("client_id") != "fake-client" || asked.Get("id_token_hint") != creds.IDToken ||
		!strings.HasPrefix(asked.Get("returnTo"), "http://127.0.0.1:") || !strings.Contains(asked.Get("returnTo"), "/signed-out?state=") {
		t.Fatalf("the configured endpoint was asked %v; want client_id, the ID token as a hint and a loopback returnTo", asked)
	}
	if _, err := m.Held(bg(t)); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("after LogoutWithBrowser Held gave %v, want ErrNoCredentials", err)
	}
}

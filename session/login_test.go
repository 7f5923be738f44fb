package session

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/testbrowser"
)

func TestBrowserLoginWithPKCE(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		var authURL string
		b := testbrowser.NewBrowser(e.peer.user, e.peer.password)
		creds, err := m.LoginWithBrowser(bg(t), BrowserLogin{OpenURL: func(ctx context.Context, u string) error {
			authURL = u
			return b.OpenURL(ctx, u)
		}})
		if err != nil {
			t.Fatal(err)
		}
		code, body := b.Result(t)
		if code != http.StatusOK || !strings.Contains(body, "You are signed in") {
			t.Fatalf("browser page %d: %s; want 200 saying you are signed in", code, body)
		}
		q := mustQuery(t, authURL)
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
			t.Errorf("authorization request %v, want an S256 code challenge", q)
		}
		if q.Get("state") == "" || q.Get("nonce") == "" || q.Get("state") == q.Get("nonce") {
			t.Errorf("authorization request %v, want state and nonce present and distinct", q)
		}
		redirect, _ := url.Parse(q.Get("redirect_uri"))
		if redirect.Hostname() != "127.0.0.1" || redirect.Port() == "" || redirect.Path != "/callback" {
			t.Errorf("redirect_uri %q, want http://127.0.0.1:PORT/callback", redirect)
		}
		exchanges := e.rec.grants("authorization_code")
		if len(exchanges) != 1 || len(exchanges[0].CodeVerifier) < 43 {
			t.Fatalf("code exchanges %+v, want one with a PKCE verifier", exchanges)
		}
		if creds.AccessToken == "" || creds.IDToken == "" || creds.RefreshToken == "" {
			t.Fatalf("credentials %v, want access, ID and refresh tokens", creds)
		}
		if d := time.Until(creds.Expiry); d < 50*time.Second || d > 61*time.Second {
			t.Errorf("expiry %v, want now + expires_in (60 s)", creds.Expiry)
		}
		if creds.subject() != e.peer.subject {
			t.Errorf("subject %q, want %q", creds.subject(), e.peer.subject)
		}
		stored, err := e.store.Get(bg(t), m.cfg.StoreKey)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := unmarshalCredentials(stored)
		if got.RefreshToken != creds.RefreshToken {
			t.Error("the credentials were not stored")
		}
		if !hasValid(bg(t), m, 30*time.Second) || !canRenew(bg(t), m) {
			t.Error("HasValid/CanRenew are false after sign-in")
		}
		if st := m.State(); st.State != StateSignedIn || st.Subject != e.peer.subject {
			t.Errorf("state %+v, want signed in as %s", st, e.peer.subject)
		}
		// The listener served one callback and is gone.
		if _, err := http.Get(redirect.String()); err == nil {
			t.Error("the loopback listener still answers after the sign-in")
		}
	})
}

func TestBrowserLoginWrongPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, time.Minute)
	m := e.manager(manual)
	b := testbrowser.NewBrowser("alice", "not-her-password")
	_, err := m.LoginWithBrowser(bg(t), BrowserLogin{OpenURL: b.OpenURL})
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Code != "access_denied" || !strings.Contains(pe.Description, "Wrong username or password") {
		t.Fatalf("want access_denied naming the wrong password, got %v", err)
	}
	code, body := b.Result(t)
	if code != http.StatusBadRequest || !strings.Contains(body, "Sign-in failed") {
		t.Errorf("browser page %d: %s; want 400 saying the sign-in failed", code, body)
	}
	if _, err := e.store.Get(bg(t), m.cfg.StoreKey); !errors.Is(err, ErrNotFound) {
		t.Errorf("the store gave %v, want nothing stored", err)
	}
}

// TestBrowserLoginIgnoresForeignCallbacks sends the loopback listener
// callbacks that are not the answer to the sign-in (a wrong state, none,
// an error without the state), as another local program or a page that
// guessed the port could: each gets a 400 page, and the real redirect
// that follows still completes the sign-in.
func TestBrowserLoginIgnoresForeignCallbacks(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		b := testbrowser.NewBrowser(e.peer.user, e.peer.password)
		var codes []int
		creds, err := m.LoginWithBrowser(bg(t), BrowserLogin{OpenURL: func(ctx context.Context, u string) error {
			redirect := mustQuery(t, u).Get("redirect_uri")
			for _, forged := range []string{"?code=stolen&state=forged", "?code=stolen", "?error=access_denied"} {
				resp, err := http.Get(redirect + forged)
				if err != nil {
					return err
				}
				resp.Body.Close()
				codes = append(codes, resp.StatusCode)
			}
			return b.OpenURL(ctx, u)
		}})
		if err != nil {
			t.Fatalf("the sign-in after foreign callbacks gave %v, want it completed", err)
		}
		if !slices.Equal(codes, []int{400, 400, 400}) {
			t.Errorf("the foreign callbacks got %v, want 400 each", codes)
		}
		if exchanges := e.rec.grants("authorization_code"); len(exchanges) != 1 || creds.subject() != e.peer.subject {
			t.Errorf("%d code exchanges for %q, want one, for the real answer", len(exchanges), creds.subject())
		}
	})
}

func TestBrowserLoginCancel(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		ctx, cancel := context.WithCancel(bg(t))
		_, err := m.LoginWithBrowser(ctx, BrowserLogin{OpenURL: func(context.Context, string) error {
			cancel()
			return nil
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
		_, err = m.LoginWithBrowser(bg(t), BrowserLogin{Timeout: 200 * time.Millisecond, OpenURL: func(context.Context, string) error { return nil }})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want a timeout, got %v", err)
		}
	})
}

func TestDeviceLogin(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) { testDeviceLogin(t, e, false) })
}

// TestDeviceLoginBindsAndGrantsAPIs signs in on another device with DPoP
// and two APIs: the tokens are bound, and the grant includes the APIs.
func TestDeviceLoginBindsAndGrantsAPIs(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) { testDeviceLogin(t, e, true) })
}

func testDeviceLogin(t *testing.T, e *env, dpop bool) {
	{
		m := e.manager(manual)
		if dpop {
			m = e.manager(manual, withAPIs, withDPoP)
		}
		d, err := m.StartDeviceLogin(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		if d.UserCode == "" || d.VerificationURI == "" || !strings.Contains(d.VerificationURIComplete, "user_code=") {
			t.Fatalf("device login %+v, want a user code and verification URIs", d)
		}
		if time.Until(d.Expiry) < time.Minute || d.Interval <= 0 {
			t.Fatalf("expiry %v, interval %v; want minutes ahead and a positive interval", d.Expiry, d.Interval)
		}
		go func() {
			b := testbrowser.NewBrowser(e.peer.user, e.peer.password)
			code, body, err := b.Visit(d.VerificationURIComplete)
			if err != nil || code != http.StatusOK || !strings.Contains(body, e.peer.deviceDone) {
				t.Errorf("device page ended on %d, %v: %s; want 200 saying %q", code, err, body, e.peer.deviceDone)
			}
		}()
		creds, err := d.Wait(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		if creds.subject() != e.peer.subject || creds.RefreshToken == "" {
			t.Fatalf("credentials %v for %q, want %q with a refresh token", creds, creds.subject(), e.peer.subject)
		}
		if !hasValid(bg(t), m, 0) {
			t.Error("device sign-in stored nothing")
		}
		if !dpop {
			return
		}
		if !creds.bound() {
			t.Fatalf("the device sign-in's token type is %q; want DPoP", creds.TokenType)
		}
		named, err := m.NamedToken("billing").Credentials(bg(t), time.Second)
		if err != nil || !named.bound() {
			t.Fatalf("a named token after the device sign-in: %v, %v; want a bound one", named, err)
		}
	}
}

func TestDeviceLoginCancel(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		d, err := m.StartDeviceLogin(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(bg(t), 500*time.Millisecond)
		defer cancel()
		if _, err := d.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want the caller's deadline, got %v", err)
		}
	})
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

package session

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"latch/internal/testbrowser"
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
			t.Fatalf("browser page %d: %s", code, body)
		}
		q := mustQuery(t, authURL)
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
			t.Errorf("no S256 challenge in %v", q)
		}
		if q.Get("state") == "" || q.Get("nonce") == "" || q.Get("state") == q.Get("nonce") {
			t.Errorf("state and nonce must be present and distinct: %v", q)
		}
		redirect, _ := url.Parse(q.Get("redirect_uri"))
		if redirect.Hostname() != "127.0.0.1" || redirect.Port() == "" || redirect.Path != "/callback" {
			t.Errorf("redirect_uri %q is not a loopback callback", redirect)
		}
		exchanges := e.rec.grants("authorization_code")
		if len(exchanges) != 1 || len(exchanges[0].CodeVerifier) < 43 {
			t.Fatalf("code exchange without a PKCE verifier: %+v", exchanges)
		}
		if creds.AccessToken == "" || creds.IDToken == "" || creds.RefreshToken == "" {
			t.Fatalf("incomplete credentials: %v", creds)
		}
		if d := time.Until(creds.Expiry); d < 50*time.Second || d > 61*time.Second {
			t.Errorf("expiry %v is not now + expires_in", creds.Expiry)
		}
		if creds.Subject() != e.peer.subject {
			t.Errorf("subject %q", creds.Subject())
		}
		stored, err := e.store.Get(bg(t), m.cfg.StoreKey)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := unmarshalCredentials(stored)
		if got.RefreshToken != creds.RefreshToken {
			t.Error("the credentials were not stored")
		}
		if !m.HasValid(bg(t), 30*time.Second) || !m.CanRenew(bg(t)) {
			t.Error("HasValid/CanRenew are false after sign-in")
		}
		if st := m.State(); st.State != StateSignedIn || st.Subject != e.peer.subject {
			t.Errorf("state %+v", st)
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
		t.Errorf("browser page %d: %s", code, body)
	}
	if _, err := e.store.Get(bg(t), m.cfg.StoreKey); !errors.Is(err, ErrNotFound) {
		t.Errorf("something was stored: %v", err)
	}
}

func TestBrowserLoginRejectsWrongState(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		pages := make(chan int, 1)
		_, err := m.LoginWithBrowser(bg(t), BrowserLogin{OpenURL: func(_ context.Context, u string) error {
			q := mustQuery(t, u)
			forged := q.Get("redirect_uri") + "?code=stolen&state=forged"
			go func() {
				resp, err := http.Get(forged)
				if err != nil {
					pages <- 0
					return
				}
				resp.Body.Close()
				pages <- resp.StatusCode
			}()
			return nil
		}})
		if !errors.Is(err, ErrInvalidCallback) {
			t.Fatalf("want ErrInvalidCallback, got %v", err)
		}
		if code := <-pages; code != http.StatusBadRequest {
			t.Errorf("forged callback got %d", code)
		}
		if len(e.rec.grants("authorization_code")) != 0 {
			t.Error("a code from a forged callback was exchanged")
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
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		d, err := m.StartDeviceLogin(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		if d.UserCode == "" || d.VerificationURI == "" || !strings.Contains(d.VerificationURIComplete, "user_code=") {
			t.Fatalf("device login %+v", d)
		}
		if time.Until(d.Expiry) < time.Minute || d.Interval <= 0 {
			t.Fatalf("expiry %v interval %v", d.Expiry, d.Interval)
		}
		go func() {
			b := testbrowser.NewBrowser(e.peer.user, e.peer.password)
			code, body, err := b.Visit(d.VerificationURIComplete)
			if err != nil || code != http.StatusOK || !strings.Contains(body, e.peer.deviceDone) {
				t.Errorf("device page %d %v: %s", code, err, body)
			}
		}()
		creds, err := d.Wait(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		if creds.Subject() != e.peer.subject || creds.RefreshToken == "" {
			t.Fatalf("credentials %v for %q", creds, creds.Subject())
		}
		if !m.HasValid(bg(t), 0) {
			t.Error("device sign-in stored nothing")
		}
	})
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

func TestRenewalRotatesAndPersists(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		first := e.login(m)
		renewed, err := m.Renew(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		if renewed.RefreshToken == "" || renewed.RefreshToken == first.RefreshToken {
			t.Fatal("the refresh token was not rotated")
		}
		if renewed.AccessToken == first.AccessToken {
			t.Fatal("the access token was not renewed")
		}
		stored, _ := e.store.Get(bg(t), m.cfg.StoreKey)
		got, _ := unmarshalCredentials(stored)
		if got.RefreshToken != renewed.RefreshToken || got.AccessToken != renewed.AccessToken {
			t.Fatal("the rotated refresh token was not persisted")
		}
		// A new Manager (the next launch) uses the rotated token.
		next := e.manager(manual)
		again, err := next.Renew(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		if again.RefreshToken == renewed.RefreshToken {
			t.Fatal("not rotated on the second renewal")
		}
		// The provider rejects the rotated-away token (and, per its reuse
		// detection, revokes the grant).
		if code := e.refreshDirectly(first.RefreshToken); code != "invalid_grant" {
			t.Fatalf("reused refresh token answered %q", code)
		}
	})
}

func TestConcurrentCredentialsMakeOneRefresh(t *testing.T) {
	t.Parallel()
	forEachPeer(t, 30*time.Second, func(t *testing.T, e *env) {
		m := e.manager(manual)
		first := e.login(m)
		e.clock.advance(31 * time.Second) // the access token has expired
		if m.HasValid(bg(t), 0) {
			t.Fatal("the access token should look expired")
		}
		const callers = 100
		var wg sync.WaitGroup
		tokens := make([]string, callers)
		errs := make([]error, callers)
		start := make(chan struct{})
		for i := range callers {
			wg.Go(func() {
				<-start
				c, err := m.Credentials(bg(t), 5*time.Second)
				errs[i] = err
				if c != nil {
					tokens[i] = c.AccessToken
				}
			})
		}
		close(start)
		wg.Wait()
		for i := range callers {
			if errs[i] != nil {
				t.Fatalf("caller %d: %v", i, errs[i])
			}
			if tokens[i] != tokens[0] || tokens[i] == first.AccessToken {
				t.Fatalf("caller %d got another token", i)
			}
		}
		if n := len(e.rec.grants("refresh_token")); n != 1 {
			t.Fatalf("%d refresh requests, want exactly 1", n)
		}
	})
}

func TestProactiveRenewalBeforeExpiry(t *testing.T) {
	t.Parallel()
	forEachPeer(t, 6*time.Second, func(t *testing.T, e *env) {
		m := e.manager()
		var renewals atomic.Int32
		renewed := make(chan Event, 4)
		unsubscribe := m.Subscribe(func(ev Event) {
			if ev.State == StateRenewing {
				renewals.Add(1)
			}
			if ev.State == StateSignedIn && renewals.Load() > 0 {
				renewed <- ev
			}
		})
		defer unsubscribe()
		first := e.login(m)
		select {
		case <-renewed:
		case <-time.After(15 * time.Second):
			t.Fatal("no renewal happened by itself")
		}
		calls := e.rec.grants("refresh_token")
		if len(calls) == 0 {
			t.Fatal("no refresh request")
		}
		if !calls[0].At.Before(first.Expiry) {
			t.Fatalf("renewed at %v, after the expiry %v", calls[0].At, first.Expiry)
		}
		// The caller now gets a fresh token without waiting on the network.
		before := len(e.rec.grants("refresh_token"))
		c, err := m.Credentials(bg(t), time.Second)
		if err != nil || c.AccessToken == first.AccessToken {
			t.Fatalf("credentials after proactive renewal: %v", err)
		}
		if after := len(e.rec.grants("refresh_token")); after != before {
			t.Error("Credentials went to the network after a proactive renewal")
		}
	})
}

func TestRotatedRefreshTokenIsNeverSentAgain(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		// Two Managers on one store and one lock folder: two processes of
		// Latch, say the app and `latch token`.
		app := e.manager(manual)
		cli := e.manager(manual)
		e.login(app)
		if _, err := cli.Credentials(bg(t), 0); err != nil {
			t.Fatal(err)
		}
		for i := range 6 {
			var wg sync.WaitGroup
			for _, m := range []*Manager{app, cli} {
				wg.Go(func() {
					if _, err := m.Renew(bg(t)); err != nil {
						t.Errorf("round %d: %v", i, err)
					}
				})
			}
			wg.Wait()
		}
		seen := map[string]bool{}
		for _, c := range e.rec.grants("refresh_token") {
			if seen[c.RefreshToken] {
				t.Fatal("a refresh token was sent twice")
			}
			seen[c.RefreshToken] = true
			if c.Status != http.StatusOK {
				t.Fatalf("a renewal was refused with %d", c.Status)
			}
		}
		if len(seen) == 0 {
			t.Fatal("no renewal made")
		}
		a, _ := app.Current(bg(t))
		b, _ := cli.Credentials(bg(t), 0)
		if a.RefreshToken != b.RefreshToken {
			// The app adopts what the other process stored at its next renewal.
			if _, err := app.Renew(bg(t)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestLogoutRevokesAtProvider(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		creds := e.login(m)
		if err := m.Logout(bg(t)); err != nil {
			t.Fatal(err)
		}
		if code := e.refreshDirectly(creds.RefreshToken); code != "invalid_grant" {
			t.Fatalf("refresh token after logout answered %q, want invalid_grant", code)
		}
		if keys := e.store.(*MemoryStore).Keys(); len(keys) != 0 {
			t.Fatalf("store still holds %v", keys)
		}
		if _, err := m.Credentials(bg(t), 0); !errors.Is(err, ErrNoCredentials) {
			t.Fatalf("want ErrNoCredentials, got %v", err)
		}
		if m.State().State != StateSignedOut {
			t.Errorf("state %v", m.State().State)
		}
	})
}

func TestInvalidGrantEndsSessionWithReason(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		creds := e.login(m)
		// Someone revokes the grant at the provider.
		if code := e.refreshDirectly(creds.RefreshToken); code != "" {
			t.Fatal(code)
		}
		ended := make(chan Event, 8)
		defer m.Subscribe(func(ev Event) {
			if ev.State == StateEnded {
				ended <- ev
			}
		})()
		_, err := m.Renew(bg(t))
		var pe *ProviderError
		if !errors.Is(err, ErrSignInRequired) || !errors.As(err, &pe) || pe.Code != "invalid_grant" {
			t.Fatalf("want invalid_grant as ErrSignInRequired, got %v", err)
		}
		select {
		case ev := <-ended:
			if !errors.As(ev.Err, &pe) || pe.Code != "invalid_grant" {
				t.Errorf("ended event carries %v, want the provider's invalid_grant", ev.Err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no ended event")
		}
		if m.CanRenew(bg(t)) {
			t.Error("the dead refresh token is still held")
		}
	})
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		p, err := Discover(bg(t), nil, e.peer.issuer+"/")
		if err != nil {
			t.Fatal(err)
		}
		if p.TokenEndpoint == "" || p.RevocationEndpoint == "" || p.DeviceAuthorizationEndpoint == "" || p.JWKSURI == "" {
			t.Fatalf("discovery gave %+v, want token, revocation, device and JWKS endpoints", p)
		}
		// The Manager keeps what it discovered for its own life; another
		// Manager discovers again.
		m := e.manager(manual)
		first, err := m.Provider(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := m.Provider(bg(t)); again != first {
			t.Error("the Manager discovered again, want its first result kept")
		}
		if other, _ := e.manager(manual).Provider(bg(t)); other == first {
			t.Error("two Managers share one discovery, want one each")
		}
		if _, err := Discover(bg(t), nil, "http://127.0.0.1:1"); !errors.Is(err, ErrDiscovery) || !errors.Is(err, ErrProviderUnreachable) {
			t.Errorf("unreachable issuer gave %v, want ErrDiscovery and ErrProviderUnreachable", err)
		}
		if _, err := Discover(bg(t), nil, "http://example.test"); !errors.Is(err, ErrDiscovery) {
			t.Errorf("plain http off loopback gave %v, want ErrDiscovery", err)
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

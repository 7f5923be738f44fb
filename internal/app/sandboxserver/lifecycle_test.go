package sandboxserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/testbrowser"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"

	"golang.org/x/oauth2"
)

// refreshWith spends a refresh token at the sandbox directly and returns
// the OAuth error code, "" on success.
func refreshWith(t *testing.T, srv *sandboxserver.Server, token string) string {
	t.Helper()
	resp, err := http.PostForm(endpoint(t, srv, "token_endpoint"), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}, "client_id": {sandboxserver.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 {
		return ""
	}
	if strings.Contains(string(body), "invalid_grant") {
		return "invalid_grant"
	}
	return string(body)
}

func TestReuseOfRotatedRefreshTokenRevokesGrant(t *testing.T) {
	srv := start(t, "")
	m, first := signIn(t, srv, "demo", "demo")
	second, err := m.Renew(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if code := refreshWith(t, srv, first.RefreshToken); code != "invalid_grant" {
		t.Fatalf("reuse of a rotated refresh token answered %q, want invalid_grant", code)
	}
	// The reuse revoked the whole grant: the current token is dead too.
	if code := refreshWith(t, srv, second.RefreshToken); code != "invalid_grant" {
		t.Fatalf("after reuse the current token answered %q, want invalid_grant (the whole grant revoked)", code)
	}
	_, err = m.Renew(context.Background())
	var pe *session.ProviderError
	if !errors.Is(err, session.ErrSignInRequired) || !errors.As(err, &pe) || !strings.Contains(pe.Description, "reuse") {
		t.Fatalf("the renewal after reuse gave %v; want ErrSignInRequired saying why: reuse", err)
	}
	if got, want := latchapp.Describe(err), "Your session was ended because a refresh token was used twice, which can mean it was copied. Please sign in again."; got != want {
		t.Errorf("the end reads %q; want %q", got, want)
	}
}

// TestReuseIntervalForgivesALostAnswer: with a reuse interval, a refresh
// token spent again soon after its rotation (a client that never got the
// answer) renews the session; after the interval it is reuse.
func TestReuseIntervalForgivesALostAnswer(t *testing.T) {
	srv := sandboxtest.StartWith(t, sandboxserver.Config{ReuseInterval: time.Second})
	_, first := signIn(t, srv, "demo", "demo")
	if code := refreshWith(t, srv, first.RefreshToken); code != "" {
		t.Fatalf("the first renewal answered %q", code)
	}
	// The answer was lost: the client spends the same token again.
	if code := refreshWith(t, srv, first.RefreshToken); code != "" {
		t.Fatalf("a second spend within the interval answered %q; want new tokens", code)
	}
	time.Sleep(1100 * time.Millisecond)
	if code := refreshWith(t, srv, first.RefreshToken); code != "invalid_grant" {
		t.Fatalf("a spend after the interval answered %q; want invalid_grant, reuse", code)
	}
}

// bearer is a client that sends token as a bearer token.
func bearer(token string) *http.Client {
	return oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}))
}

// endpoint is the address that the sandbox's discovery document gives
// under name.
func endpoint(t *testing.T, srv *sandboxserver.Server, name string) string {
	t.Helper()
	resp, err := http.Get(srv.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	u, _ := doc[name].(string)
	if u == "" {
		t.Fatalf("the discovery document has no %s", name)
	}
	return u
}

func TestLogoutRevokes(t *testing.T) {
	srv := start(t, "")
	m, creds := signIn(t, srv, "demo", "demo")
	if err := m.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code := refreshWith(t, srv, creds.RefreshToken); code != "invalid_grant" {
		t.Fatalf("refresh after logout answered %q, want invalid_grant", code)
	}
	p, _ := m.Provider(context.Background())
	if _, err := profile.UserInfo(context.Background(), bearer(creds.AccessToken), p.UserinfoEndpoint, "sandbox|demo"); err == nil {
		t.Fatal("the access token still works after revocation, want it refused")
	}
	if p.EndSessionEndpoint == "" || p.RevocationEndpoint == "" || p.DeviceAuthorizationEndpoint == "" {
		t.Fatalf("discovery gave %+v, want end-session, revocation and device endpoints", p)
	}
}

func TestUserInfo(t *testing.T) {
	srv := start(t, "")
	m, creds := signIn(t, srv, "ada", "lovelace")
	p, _ := m.Provider(context.Background())
	info, err := profile.UserInfo(context.Background(), m.Client(context.Background()), p.UserinfoEndpoint, subjectOf(t, creds))
	if err != nil {
		t.Fatal(err)
	}
	if info.Subject != "sandbox|ada" || info.Name != "Ada Lovelace" || info.EmailVerified || !strings.HasPrefix(info.Picture, srv.Issuer()) {
		t.Fatalf("userinfo gave %+v, want Ada Lovelace, unverified, with a picture on the sandbox", info)
	}
}

func TestWrongPasswordSaysSo(t *testing.T) {
	srv := start(t, "")
	m, err := session.New(session.Config{Issuer: srv.Issuer(), ClientID: sandboxserver.ClientID, LockDir: t.TempDir(), ManualRenewal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	page := make(chan string, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = m.LoginWithBrowser(ctx, session.BrowserLogin{OpenURL: func(_ context.Context, u string) error {
		go func() {
			b := testbrowser.NewBrowser("demo", "wrong")
			resp, err := b.Client.Get(u)
			if err != nil {
				page <- err.Error()
				return
			}
			form, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp, err = b.Client.PostForm(resp.Request.URL.String(), url.Values{"csrf": {testbrowser.FormValue(string(form), "csrf")},
				"id": {resp.Request.URL.Query().Get("id")}, "username": {"demo"}, "password": {"wrong"}})
			if err != nil {
				page <- err.Error()
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			page <- resp.Status + " " + string(body)
			cancel() // the person gives up
		}()
		return nil
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("sign-in ended with %v, want context.Canceled", err)
	}
	got := <-page
	if !strings.HasPrefix(got, "401") || !strings.Contains(got, "Wrong username or password.") || !strings.Contains(got, `name="username"`) {
		t.Fatalf("page: %s", got)
	}
}

func TestCancelAtTheSignInPage(t *testing.T) {
	srv := start(t, "")
	m, err := session.New(session.Config{Issuer: srv.Issuer(), ClientID: sandboxserver.ClientID, LockDir: t.TempDir(), ManualRenewal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, err = m.LoginWithBrowser(context.Background(), session.BrowserLogin{Timeout: 10 * time.Second, OpenURL: sandboxtest.CancelAtSignIn(srv.Issuer())})
	var pe *session.ProviderError
	if !errors.As(err, &pe) || pe.Code != "access_denied" {
		t.Fatalf("want access_denied, got %v", err)
	}
}

func TestDeviceSignInThroughTheDevicePage(t *testing.T) {
	srv := start(t, "")
	m, err := session.New(session.Config{Issuer: srv.Issuer(), ClientID: sandboxserver.ClientID, LockDir: t.TempDir(), ManualRenewal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	d, err := m.StartDeviceLogin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.VerificationURI, srv.Issuer()+"/device") || !strings.Contains(d.VerificationURIComplete, d.UserCode) {
		t.Fatalf("device login %+v, want a verification URI on the sandbox and a complete one with the code", d)
	}
	go func() {
		code, body, err := testbrowser.NewBrowser("demo", "demo").Visit(d.VerificationURIComplete)
		if err != nil || code != 200 || !strings.Contains(body, "Your device is signed in") {
			t.Errorf("device page ended on %d, %v: %s; want 200 saying the device is signed in", code, err, body)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	creds, err := d.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if subjectOf(t, creds) != "sandbox|demo" || creds.RefreshToken == "" {
		t.Fatalf("got %v for %q, want sandbox|demo with a refresh token", creds, subjectOf(t, creds))
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "sandbox.json")
	srv := start(t, state)
	m, creds := signIn(t, srv, "demo", "demo")
	code, _ := mgmt(t, srv, http.MethodPatch, userPath("sandbox|demo"), creds.AccessToken, map[string]any{"user_metadata": map[string]any{"kept": true}})
	if code != 200 {
		t.Fatal(code)
	}
	issuer := srv.Issuer()
	addr := strings.TrimPrefix(issuer, "http://")
	srv.Close()
	info, err := os.Stat(state)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v, %v; want a file readable by its owner only (0600)", err, info)
	}
	raw, _ := os.ReadFile(state)
	if strings.Contains(string(raw), creds.RefreshToken) {
		t.Fatal("a refresh token is stored in clear")
	}

	again, err := sandboxserver.New(sandboxserver.Config{Addr: addr, StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	// Connections to the stopped server are dead; a real client meets
	// this as one transient failure, retried.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	// The same issuer and keys: the stored session renews, and the
	// metadata is still there.
	renewed, err := m.Renew(context.Background())
	if err != nil {
		t.Fatalf("renewal after restart failed: %v, want it to work", err)
	}
	code, user := mgmt(t, again, http.MethodGet, userPath("sandbox|demo"), renewed.AccessToken, nil)
	if code != 200 || user["user_metadata"].(map[string]any)["kept"] != true {
		t.Fatalf("GET answered %d %v, want 200 with the kept metadata", code, user)
	}
}

func TestCorruptStateIsReportedNotReplaced(t *testing.T) {
	state := filepath.Join(t.TempDir(), "sandbox.json")
	if err := os.WriteFile(state, []byte("{half a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sandboxserver.New(sandboxserver.Config{Addr: "127.0.0.1:0", StateFile: state})
	if !errors.Is(err, sandboxserver.ErrCorruptState) || !strings.Contains(err.Error(), state) {
		t.Fatalf("want ErrCorruptState naming the file, got %v", err)
	}
	if raw, _ := os.ReadFile(state); string(raw) != "{half a file" {
		t.Fatal("the corrupt file was replaced")
	}
}

func TestAddressInUse(t *testing.T) {
	state := filepath.Join(t.TempDir(), "sandbox.json")
	srv := start(t, state)
	addr := strings.TrimPrefix(srv.Issuer(), "http://")
	if issuer, ok := sandboxserver.Running(context.Background(), addr, state); !ok || issuer != srv.Issuer() {
		t.Fatalf("Running gave %q, %v; want %q, true", issuer, ok, srv.Issuer())
	}
	second, err := sandboxserver.New(sandboxserver.Config{Addr: addr, StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Start(context.Background()); !errors.Is(err, os.ErrExist) {
		t.Fatalf("a second sandbox of the same state on the address gave %v, want os.ErrExist", err)
	}
	// A sandbox of another state (another user's, who holds the address
	// first) cannot prove it is the person's own: it is another program.
	otherState := filepath.Join(t.TempDir(), "sandbox.json")
	if _, ok := sandboxserver.Running(context.Background(), addr, otherState); ok {
		t.Fatal("a sandbox of another state was taken for the person's")
	}
	mine, _ := sandboxserver.New(sandboxserver.Config{Addr: addr, StateFile: otherState})
	if err := mine.Start(context.Background()); !errors.Is(err, sandboxserver.ErrAddrTaken) {
		t.Fatalf("the address held by a sandbox of another state gave %v, want ErrAddrTaken", err)
	}

	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	go func() { _ = http.Serve(other, http.NotFoundHandler()) }()
	third, _ := sandboxserver.New(sandboxserver.Config{Addr: other.Addr().String(), StateFile: filepath.Join(t.TempDir(), "s.json")})
	if err := third.Start(context.Background()); !errors.Is(err, sandboxserver.ErrAddrTaken) {
		t.Fatalf("the address of another program gave %v, want ErrAddrTaken", err)
	}
	if _, err := sandboxserver.New(sandboxserver.Config{Addr: "192.0.2.1:80"}); err == nil {
		t.Fatal("a non-loopback address was accepted")
	}
}

// End-session asks first, then ends the browser's session alone: the
// grant stays (another account of the same person and client keeps its
// session), as with Auth0.
func TestEndSessionEndsTheBrowserSessionAlone(t *testing.T) {
	srv := start(t, "")
	m, creds := signIn(t, srv, "demo", "demo")
	p, _ := m.Provider(context.Background())
	b := testbrowser.NewBrowser("", "")
	b.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// A link alone signs nobody out: it asks first.
	resp, err := b.Client.Get(p.EndSessionEndpoint + "?" + url.Values{"id_token_hint": {creds.IDToken}, "client_id": {sandboxserver.ClientID}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Sign out of the Latch sandbox?") {
		t.Fatalf("end_session by GET answered %d, want 200 and a question", resp.StatusCode)
	}
	resp, err = b.Client.PostForm(p.EndSessionEndpoint, url.Values{"csrf": {testbrowser.FormValue(string(page), "csrf")},
		"id_token_hint": {testbrowser.FormValue(string(page), "id_token_hint")}, "client_id": {sandboxserver.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || !strings.HasSuffix(resp.Header.Get("Location"), "/signed-out") {
		t.Fatalf("end_session confirmed answered %d to %q, want 302 to /signed-out", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code := refreshWith(t, srv, creds.RefreshToken); code != "" {
		t.Fatalf("refresh after end-session answered %q, want the grant kept", code)
	}
}

// subjectOf is the sub claim of creds' ID token.
func subjectOf(t *testing.T, creds *session.Credentials) string {
	t.Helper()
	claims, err := creds.Claims()
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := claims["sub"].(string)
	return sub
}

// TestGrantEndpointsTakePOSTAlone asks the token, device authorization
// and revocation endpoints with GET, which would carry a grant or a token
// in an address and escape the check of the request's origin: each says
// 405, and nothing is granted.
func TestGrantEndpointsTakePOSTAlone(t *testing.T) {
	srv := start(t, "")
	for _, name := range []string{"token_endpoint", "device_authorization_endpoint", "revocation_endpoint"} {
		u := endpoint(t, srv, name) + "?grant_type=refresh_token&refresh_token=x&client_id=" + sandboxserver.ClientID + "&token=x"
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Origin", "https://evil.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
			t.Errorf("GET %s answered %s (Allow %q); want 405 with Allow: POST", name, resp.Status, resp.Header.Get("Allow"))
		}
	}
}

package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/cli"
	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/internal/testing/testbrowser"
	"github.com/latchapp/latch/session"
)

func TestSignInPrintsWhoAndReusesSession(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, nil)
	b := testbrowser.NewBrowser("alice", oidcprovider.Accounts["alice"])
	w.open = b.OpenURL
	code, out, errOut := w.run("--issuer", op.Issuer, "--client-id", oidcprovider.ClientID, "--no-window")
	if code != 0 || !strings.Contains(out, "Signed in as Alice Liddell <alice@example.test> (subject alice)") {
		t.Fatalf("exit %d: %s %s; want 0 and who signed in", code, out, errOut)
	}
	// The next launch finds the session: no browser, straight to the app.
	w.open = func(context.Context, string) error {
		t.Error("the browser was opened although a session is stored")
		return nil
	}
	w.env = map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidcprovider.ClientID}
	var shown *latchapp.Account
	var out2, err2 bytes.Buffer
	env := w.cliEnv(&out2, &err2)
	env.Window = func(_ context.Context, s *latchapp.Account, _ *latchapp.Accounts, _ *agent.Desk, _ latchapp.WindowOptions) error {
		shown = s
		return nil
	}
	if code := cli.Run(context.Background(), []string{"--no-window"}, env); code != 0 || shown != nil || !strings.Contains(out2.String(), "Signed in as Alice") {
		t.Fatalf("exit %d, window %v: %s; want 0, no window, Alice signed in", code, shown, err2.String())
	}
	// Without --no-window the app opens at once, connected to the same
	// session.
	if code := cli.Run(context.Background(), nil, env); code != 0 || shown == nil || !validSession(shown.Manager) {
		t.Fatalf("exit %d, window %v: %s; want 0 and the window on a valid session", code, shown, err2.String())
	}
}

func TestDeviceLoginPrintsCodes(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, map[string]string{"LATCH_SANDBOX_ADDR": strings.TrimPrefix(srv.Issuer(), "http://")})
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(context.Background(), []string{"login", "--device"}, w.cliEnv(pw, &errb))
		pw.Close()
	}()
	lines := map[string]string{}
	sc := bufio.NewScanner(pr)
	for len(lines) < 3 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ": ")
		lines[k] = v
	}
	go io.Copy(io.Discard, pr)
	complete := lines["verification_uri_complete"]
	if lines["user_code"] == "" || lines["verification_uri"] == "" || !strings.Contains(complete, url.QueryEscape(lines["user_code"])) && !strings.Contains(complete, lines["user_code"]) {
		t.Fatalf("printed %v, want user_code, verification_uri and a complete URI with the code", lines)
	}
	if code, body, err := testbrowser.NewBrowser("ada", "lovelace").Visit(complete); err != nil || code != 200 || !strings.Contains(body, "signed in") {
		t.Fatalf("device page ended on %d, %v; want 200 saying signed in", code, err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("login --device exit %d: %s; want 0", code, errb.String())
	}
	_, out, _ := w.run("status")
	if !strings.Contains(out, "Ada Lovelace") {
		t.Fatalf("status: %s; want Ada Lovelace signed in", out)
	}
}

// TestLoginWhenAlreadySignedIn: `latch login` with a session held opens
// no browser and says who is signed in, with a valid access token and
// with an expired one while the provider cannot be reached (the refresh
// token still holds the session). A session the provider refuses to renew
// is signed in again.
func TestLoginWhenAlreadySignedIn(t *testing.T) {
	proxy := faultproxy.Start(t, func(issuer string) string {
		return oidcprovider.Start(t, oidcprovider.Options{Issuer: issuer}).Listening
	})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": proxy.URL, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	w.open = func(context.Context, string) error {
		t.Error("the browser was opened although alice is signed in")
		return nil
	}
	want := "Already signed in to the account default as Alice Liddell <alice@example.test> (subject alice). To sign in as someone else run latch login --prompt login, or see latch accounts.\n"
	if code, _, errOut := w.run("login"); code != 0 || errOut != want {
		t.Fatalf("login with a valid session: exit %d, %q; want 0 and %q", code, errOut, want)
	}
	sessiontest.Rewrite(t, w.store, func(c map[string]any) { c["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339) })
	proxy.Down()
	if code, _, errOut := w.run("login"); code != 0 || errOut != want {
		t.Fatalf("login with an expired token and the provider unreachable: exit %d, %q; want 0 and %q", code, errOut, want)
	}
	proxy.Up()
	sessiontest.Rewrite(t, w.store, func(c map[string]any) { c["refresh_token"] = "refused" })
	w.open = nil
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	for _, key := range w.store.Keys() {
		if raw, _ := w.store.Get(t.Context(), key); bytes.Contains(raw, []byte(`"refused"`)) {
			t.Errorf("the refused refresh token is still stored under %s; want a new sign-in's", key)
		}
	}
}

// TestLoginWithoutABrowserWaits: when no browser opens, `latch login`
// says so in one sentence, shows the address, and completes when the
// address is opened elsewhere.
func TestLoginWithoutABrowserWaits(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, map[string]string{"LATCH_ISSUER": srv.Issuer(), "LATCH_CLIENT_ID": sandboxserver.ClientID})
	w.open = func(context.Context, string) error {
		return fmt.Errorf("opening the browser: %w (tried xdg-open)", session.ErrNoBrowser)
	}
	pr, pw := io.Pipe()
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(context.Background(), []string{"login"}, w.cliEnv(&out, pw))
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var address, said string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, srv.Issuer()) {
			address = line
		}
		if strings.Contains(line, "No browser could be opened") {
			said = line
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if address == "" || strings.Count(said, "browser could") != 1 || !strings.Contains(said, "waiting") {
		t.Fatalf("stderr gave the address %q and %q; want the address and one sentence saying Latch waits", address, said)
	}
	if code, _, err := testbrowser.NewBrowser("demo", "demo").Visit(address); err != nil || code != 200 {
		t.Fatalf("the browser ended on %d, %v; want 200", code, err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("login exited %d; want 0", code)
	}
}

// --redirect-url: the sign-in listens on that exact address, which a
// provider that registers it takes; a port in use is said, naming it.
func TestExactRedirectURL(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	exact := "http://127.0.0.1:" + port + "/oauth/done"
	op := oidcprovider.Start(t, oidcprovider.Options{RedirectURIs: []string{exact}})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidcprovider.ClientID, "LATCH_REDIRECT_URL": exact})

	// The port is taken: said in one sentence, naming it.
	code, _, errOut := w.run("login", "--no-browser")
	if code != 1 || !strings.Contains(errOut, "Another program is using the redirect address's port "+port) {
		t.Fatalf("login with the redirect port in use: exit %d, %q; want 1 naming the port", code, errOut)
	}
	ln.Close()

	var printed string
	w.open = func(_ context.Context, u string) error {
		printed = u
		return testbrowser.NewBrowser("alice", oidcprovider.Accounts["alice"]).OpenURL(context.Background(), u)
	}
	if code, _, errOut := w.run("login"); code != 0 {
		t.Fatalf("login at the exact redirect address: exit %d: %s", code, errOut)
	}
	if !strings.Contains(printed, "redirect_uri="+url.QueryEscape(exact)) {
		t.Fatalf("the authorization address %s does not ask for the redirect %s", printed, exact)
	}
	want := `latch status: --redirect-url: the redirect address "http://127.0.0.1/no-port" must name its port.` + "\n"
	if code, _, errOut := w.run("status", "--redirect-url", "http://127.0.0.1/no-port"); code != 2 || errOut != want {
		t.Fatalf("a redirect address without a port: exit %d, %q; want 2 and %q", code, errOut, want)
	}
}

// --prompt takes OpenID Connect's values that ask the person something;
// another is refused at once, before any browser opens. A sign-in the
// person does not finish in time says so, not that the provider did not
// answer.
func TestLoginPromptAndItsTimeout(t *testing.T) {
	srv := startSandbox(t)
	w := newWorld(t, map[string]string{"LATCH_ISSUER": srv.Issuer(), "LATCH_CLIENT_ID": sandboxserver.ClientID})
	opened := 0
	w.open = func(context.Context, string) error { opened++; return nil }
	code, _, errOut := w.run("login", "--prompt", "bogus")
	if code != 2 || !strings.Contains(errOut, `--prompt is login, select_account or consent, not "bogus"`) || opened != 0 {
		t.Fatalf("latch login --prompt bogus: exit %d, %q, browser opened %d times; want 2 at once", code, errOut, opened)
	}
	code, _, errOut = w.run("--timeout", "1s", "login", "--prompt", "consent")
	if code != 1 || opened != 1 || !strings.Contains(errOut, "Gave up after 1s: the sign-in was not finished in the browser.") {
		t.Fatalf("a sign-in not finished in time: exit %d, %q; want it said as the person's time running out", code, errOut)
	}
}

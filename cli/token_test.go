package cli_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

func TestTokenOutputs(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	_, raw, _ := w.run("token")
	raw = strings.TrimSpace(raw)

	code, out, errOut := w.run("token", "--output", "json")
	var got struct {
		Kind, Token, TokenType string
		Expiry                 time.Time
		Scopes                 []string
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("--output json: exit %d, %v: %s %s", code, err, out, errOut)
	}
	var fields map[string]any
	_ = json.Unmarshal([]byte(out), &fields)
	if got.Kind != "access_token" || got.Token != raw || fields["token_type"] != "Bearer" || time.Until(got.Expiry) <= 0 || !strings.Contains(strings.Join(got.Scopes, " "), "openid") {
		t.Fatalf("--output json: %s; want the access token, Bearer, its expiry and scopes", out)
	}
	if strings.Contains(out, "refresh") {
		t.Fatalf("--output json names a refresh token: %s", out)
	}

	// The ID token, with its audience (the client) and expiry.
	code, out, _ = w.run("token", "--id-token", "--output", "json")
	fields = nil
	if err := json.Unmarshal([]byte(out), &fields); code != 0 || err != nil || fields["kind"] != "id_token" || fields["audience"] != oidcprovider.ClientID || fields["token_type"] != nil {
		t.Fatalf("--id-token --output json: exit %d: %s; want the ID token for the client", code, out)
	}

	// env: sourced by sh and bash, the values come back whole.
	_, env, _ := w.run("token", "--output", "env")
	for _, shell := range []string{"sh", "bash"} {
		cmd := exec.Command(shell, "-c", env+`printf '%s|%s|%s' "$LATCH_TOKEN" "$LATCH_TOKEN_KIND" "$LATCH_TOKEN_TYPE"`)
		b, err := cmd.Output()
		if err != nil || string(b) != raw+"|access_token|Bearer" {
			t.Fatalf("%s sourcing --output env gave %q, %v; want the token, its kind and type", shell, b, err)
		}
	}

	// exec-credential, the version kubectl asks for.
	for _, c := range []struct{ info, want string }{
		{"", "client.authentication.k8s.io/v1"},
		{`{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false}}`, "client.authentication.k8s.io/v1beta1"},
	} {
		w.env["KUBERNETES_EXEC_INFO"] = c.info
		code, out, errOut := w.run("token", "--output", "exec-credential")
		var cred struct {
			APIVersion, Kind string
			Status           struct {
				Token               string
				ExpirationTimestamp time.Time
			}
		}
		if err := json.Unmarshal([]byte(out), &cred); code != 0 || err != nil || cred.APIVersion != c.want || cred.Kind != "ExecCredential" ||
			cred.Status.Token != raw || time.Until(cred.Status.ExpirationTimestamp) <= 0 {
			t.Fatalf("exec-credential with KUBERNETES_EXEC_INFO %q: exit %d: %s %s; want an ExecCredential %s with the token and its expiry", c.info, code, out, errOut, c.want)
		}
	}
	w.env["KUBERNETES_EXEC_INFO"] = `{"apiVersion":"client.authentication.k8s.io/v2","kind":"ExecCredential"}`
	if code, _, errOut := w.run("token", "--output", "exec-credential"); code != 2 || !strings.Contains(errOut, "v2") {
		t.Fatalf("an unknown ExecCredential version: exit %d, %q; want 2 naming it", code, errOut)
	}
	delete(w.env, "KUBERNETES_EXEC_INFO")
	if code, _, errOut := w.run("token", "--output", "yaml"); code != 2 || !strings.Contains(errOut, "raw, json, env or exec-credential") {
		t.Fatalf("--output yaml: exit %d, %q", code, errOut)
	}

	// kubectl's plugin, not in a terminal, with nobody signed in: one
	// sentence, and no sign-in.
	w.run("logout")
	w.env["KUBERNETES_EXEC_INFO"] = `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`
	w.open = func(context.Context, string) error {
		t.Error("a browser was opened for kubectl without a terminal")
		return nil
	}
	if code, out, errOut := w.run("token", "--output", "exec-credential"); code != 1 || out != "" || errOut != "latch token: You are not signed in. Run latch login.\n" {
		t.Fatalf("exec-credential signed out: exit %d, %q, %q; want 1 and one sentence", code, out, errOut)
	}
}

// An ID token that lives less than --min-ttl is renewed on each call.
func TestIDTokenRenewedWhenItsExpIsNear(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{IDTokenTTL: 3 * time.Second})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	_, first, _ := w.run("token", "--id-token", "--min-ttl", "1s")
	time.Sleep(2500 * time.Millisecond)
	code, second, errOut := w.run("token", "--id-token", "--min-ttl", "1s")
	if code != 0 || second == first || second == "" {
		t.Fatalf("an ID token within --min-ttl of its exp: exit %d (%s); want a new one", code, errOut)
	}
	code, third, _ := w.run("token", "--id-token", "--min-ttl", "1s")
	if code != 0 || third != second {
		t.Fatal("a fresh ID token was renewed again; want it given as it is")
	}
}

func shellQuoteForTest(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// kubectl's plugin in a terminal (KUBERNETES_EXEC_INFO says interactive)
// with nobody signed in: Latch signs in first, saying so on stderr, and
// stdout holds the ExecCredential alone.
func TestExecCredentialSignsInWhenInteractive(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidcprovider.ClientID,
		"KUBERNETES_EXEC_INFO": `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":true}}`})
	w.open = testbrowser.NewBrowser("alice", oidcprovider.Accounts["alice"]).OpenURL
	code, out, errOut := w.run("token", "--output", "exec-credential", "--id-token")
	var cred struct {
		Kind   string
		Status struct{ Token string }
	}
	if err := json.Unmarshal([]byte(out), &cred); code != 0 || err != nil || cred.Kind != "ExecCredential" || cred.Status.Token == "" {
		t.Fatalf("exec-credential, interactive, signed out: exit %d: %q %q; want a sign-in, then the ExecCredential alone on stdout", code, out, errOut)
	}
	if !strings.Contains(errOut, "Signing in for kubectl.") {
		t.Fatalf("stderr %q; want it to say Latch signs in", errOut)
	}
}

// TestTokenGivesUpWithinItsDeadline has the provider answer a renewal
// late: latch token gives up within its --timeout, saying so, and does
// not send the refresh token a second time.
func TestTokenGivesUpWithinItsDeadline(t *testing.T) {
	proxy := faultproxy.Start(t, func(issuer string) string {
		return oidcprovider.Start(t, oidcprovider.Options{Issuer: issuer}).Listening
	})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": proxy.URL, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	before := len(proxy.TokenRequests())
	proxy.SetFault(&faultproxy.Fault{HoldAnswer: 5 * time.Second})
	start := time.Now()
	code, out, errOut := w.run("token", "--min-ttl", "1h", "--timeout", "2s") // renews
	took := time.Since(start)
	if code != 1 || out != "" || !strings.Contains(errOut, "Gave up after 2s: the provider did not answer in time.") {
		t.Fatalf("latch token with a provider that answers late: exit %d, %q, %q; want 1, saying it gave up", code, out, errOut)
	}
	if took > 4*time.Second {
		t.Errorf("latch token took %v; want it to give up at its 2 s deadline", took)
	}
	if n := len(proxy.TokenRequests()) - before; n != 1 {
		t.Errorf("latch token sent %d token requests; want 1: a renewMode that may have reached the provider is not sent again", n)
	}
	proxy.SetFault(nil)
	if code, _, errOut := w.run("--timeout", "-1s", "status"); code != 2 || !strings.Contains(errOut, "--timeout must not be negative") {
		t.Errorf("a negative --timeout: exit %d, %q; want 2", code, errOut)
	}
}

// A still-valid token is printed while the provider cannot renew it (here
// it answers 503), with a warning on stderr saying so and when it
// expires; once it has expired it is never printed. A --min-ttl longer
// than the provider's tokens live renews each time, and says so.
func TestTokenServesTheHeldTokenWhileTheProviderIsDown(t *testing.T) {
	proxy := faultproxy.Start(t, func(issuer string) string {
		return oidcprovider.Start(t, oidcprovider.Options{Issuer: issuer, AccessTokenTTL: 20 * time.Second}).Listening
	})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": proxy.URL, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	_, held, _ := w.run("token")

	code, out, errOut := w.run("token", "--min-ttl", "5m") // each call renews
	if code != 0 || out == held || !strings.Contains(errOut, "less than the 5m0s asked for") {
		t.Fatalf("--min-ttl 5m on 20 s tokens: exit %d, %q; want a renewed token and a word that it cannot last that long", code, errOut)
	}
	held = out

	proxy.SetFault(&faultproxy.Fault{Status: 503, Body: `{"error":"temporarily_unavailable"}`, ContentType: "application/json"})
	code, out, errOut = w.run("token") // 20 s tokens, 30 s --min-ttl: due
	if code != 0 || out != held || !strings.HasPrefix(errOut, "Warning: The token could not be renewed") || !strings.Contains(errOut, "expires in") {
		t.Fatalf("a valid token while the provider answers 503: exit %d, %q, %q; want the token held and a warning", code, out, errOut)
	}
	for _, output := range []string{"json", "exec-credential"} {
		if _, out, _ := w.run("token", "--output", output); strings.Contains(out, "warning") || strings.Contains(out, "Warning") {
			t.Errorf("--output %s holds the warning: %s; want it on stderr alone", output, out)
		}
	}
	time.Sleep(21 * time.Second) // expired
	if code, out, errOut := w.run("token"); code == 0 || out != "" {
		t.Fatalf("an expired token while the provider answers 503: exit %d, %q, %q; want it refused", code, out, errOut)
	}
}

// A provider's Retry-After is kept between commands on the direct path:
// the next command within the pause does not ask the provider again, and
// what it says names when to try again; --verbose says so as it happens.
func TestRetryAfterIsKeptBetweenCommands(t *testing.T) {
	proxy := faultproxy.Start(t, func(issuer string) string {
		return oidcprovider.Start(t, oidcprovider.Options{Issuer: issuer, AccessTokenTTL: 10 * time.Second}).Listening
	})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": proxy.URL, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	time.Sleep(11 * time.Second) // expired: nothing held can be given
	proxy.SetFault(&faultproxy.Fault{Status: 429, Header: map[string]string{"Retry-After": "60"}, Body: `{"error":"slow_down"}`, ContentType: "application/json"})
	before := len(proxy.TokenRequests())
	code, _, errOut := w.run("--verbose", "token")
	asked := len(proxy.TokenRequests()) - before
	if code != 1 || asked == 0 || !strings.Contains(errOut, "try again after") || !strings.Contains(errOut, "the renewal failed for now") {
		t.Fatalf("latch token on a 429 with Retry-After: exit %d, %d requests, %q; want the pause said, with when", code, asked, errOut)
	}
	code, _, errOut = w.run("--verbose", "token")
	if n := len(proxy.TokenRequests()) - before - asked; code != 1 || n != 0 || !strings.Contains(errOut, "try again after") || !strings.Contains(errOut, "not asking it again before then") {
		t.Fatalf("a second latch token within the pause: exit %d, %d more requests, %q; want none, and the pause said", code, n, errOut)
	}
}

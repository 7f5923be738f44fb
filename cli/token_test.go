package cli_test

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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

func TestSetupKubectlWritesTheUserAndKeepsTheRest(t *testing.T) {
	w := newWorld(t, nil)
	kubeconfig := filepath.Join(t.TempDir(), "config")
	original := `# my clusters
apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example.test:6443 # the load balancer
contexts:
- name: prod
  context:
    cluster: prod
    user: admin
current-context: prod
users:
- name: admin
  user:
    token: keep-me
`
	if err := os.WriteFile(kubeconfig, []byte(original), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = map[string]string{"KUBECONFIG": kubeconfig + string(os.PathListSeparator) + "/nonexistent/second"}
	code, out, errOut := w.run("setup", "kubectl", "--id-token", "--context", "prod")
	if code != 0 || !strings.Contains(out, "exec-credential") || !strings.Contains(errOut, "Wrote the user latch to "+kubeconfig) {
		t.Fatalf("setup kubectl: exit %d: %s %s", code, out, errOut)
	}
	b, _ := os.ReadFile(kubeconfig)
	text := string(b)
	for _, want := range []string{"# my clusters", "# the load balancer", "token: keep-me", "server: https://prod.example.test:6443", "current-context: prod",
		"- name: latch", "client.authentication.k8s.io/v1", "--id-token", "interactiveMode: IfAvailable"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the kubeconfig after setup:\n%s\nwant %q in it", text, want)
		}
	}
	if !strings.Contains(text, "cluster: prod\n      user: latch") && !strings.Contains(text, "user: latch") {
		t.Fatalf("the context prod does not use latch:\n%s", text)
	}
	// Again, for an account: another user, the first kept; an unknown
	// context is said.
	if code, _, errOut := w.run("setup", "kubectl", "--context", "staging"); code != 1 || !strings.Contains(errOut, `no context "staging"`) {
		t.Fatalf("setup with an unknown context: exit %d, %q", code, errOut)
	}
	if code, _, errOut := w.run("setup", "git"); code != 2 {
		t.Fatalf("setup of something Latch does not set up: exit %d, %q; want 2", code, errOut)
	}
	if now, _ := os.ReadFile(kubeconfig); string(now) != text {
		t.Fatal("a refused setup changed the kubeconfig")
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

// The completion scripts load in bash and zsh, and complete commands,
// flags, subcommands and account names.
func TestCompletionScripts(t *testing.T) {
	w := newWorld(t, nil)
	w.config = filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(w.config, []byte("[accounts.work]\nissuer = \"https://id.example.test/\"\nclient_id = \"c\"\n[apis.orders]\naudience = \"https://orders.example.test/\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := w.run("completion", "--names", "accounts"); code != 0 || out != "default\nwork\n" {
		t.Fatalf("completion --names accounts: exit %d, %q", code, out)
	}
	if code, out, _ := w.run("completion", "--names", "apis"); code != 0 || out != "orders\n" {
		t.Fatalf("completion --names apis: exit %d, %q", code, out)
	}
	// A latch on PATH that answers the names as this one does.
	bin := t.TempDir()
	script := "#!/bin/sh\nprintf 'default\\nwork\\n'\n"
	if err := os.WriteFile(filepath.Join(bin, "latch"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, bashScript, _ := w.run("completion", "bash")
	_, zshScript, _ := w.run("completion", "zsh")
	dir := t.TempDir()
	for name, text := range map[string]string{"latch.bash": bashScript, "latch.zsh": zshScript} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// complete WORDS... prints what bash offers for the last word.
	complete := `complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _latch; printf '%s ' "${COMPREPLY[@]}"; echo; }
`
	for _, c := range []struct{ words, want string }{
		{"latch sw", "switch"},
		{"latch token --out", "--output"},
		{"latch token --output e", "env exec-credential"},
		{"latch switch w", "work"},
		{"latch --account ", "default work"},
		{"latch accounts re", "remove"},
		{"latch setup k", "kubectl"},
	} {
		args := ""
		for _, word := range strings.Split(c.words, " ") {
			args += " " + shellQuoteForTest(word)
		}
		cmd := exec.Command("bash", "-c", "source "+filepath.Join(dir, "latch.bash")+"\n"+complete+"complete_words"+args)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != c.want {
			t.Errorf("bash completes %q as %q (%v); want %q", c.words, strings.TrimSpace(string(out)), err, c.want)
		}
	}
	// zsh loads its script without a word on stderr.
	if _, err := exec.LookPath("zsh"); err != nil {
		t.Skip("no zsh: scripts/deps test installs it")
	}
	cmd := exec.Command("zsh", "-f", "-c", "autoload -U compinit && compinit -u; source "+filepath.Join(dir, "latch.zsh")+" && print -r -- ok")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("zsh loading the completion: %v: %s", err, out)
	}
	if code, _, errOut := w.run("completion", "tcsh"); code != 2 || !strings.Contains(errOut, "bash, zsh and fish") {
		t.Fatalf("completion tcsh: exit %d, %q", code, errOut)
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

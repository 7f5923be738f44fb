//go:build linux

package e2e

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/kubeapi"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/peers"
)

// kubectl runs the real kubectl with env, not in a terminal, and returns
// its exit code and output.
func kubectl(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	return runBinary(t, "kubectl", env, args...)
}

// TestKubectlThroughLatch: the real kubectl, with the user that `latch
// setup kubectl --id-token` wrote, against an API server that
// authenticates as kube-apiserver's OIDC authenticator does: the person
// comes back from `kubectl auth whoami` and `kubectl get --raw`, against
// the sandbox and oidc-provider; with ID tokens that live 5 s, a minute of
// kubectl calls all succeed, on tokens renewed as they go; signed out,
// kubectl says why in one sentence and nothing signs in behind its back.
func TestKubectlThroughLatch(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		peers.Missing(t, "kubectl", err.Error())
	}
	for _, c := range []struct {
		name, user, password, email string
		start                       func(t *testing.T, env []string) (issuer, clientID string, env2 []string)
		soak                        bool
	}{
		{"sandbox", "demo", "demo", sandboxserver.Accounts["demo"].Email, func(t *testing.T, env []string) (string, string, []string) {
			issuer, _ := startSandbox(t, env, "127.0.0.1:0")
			return issuer, sandboxserver.ClientID, append(env, "LATCH_SANDBOX_ADDR="+strings.TrimPrefix(issuer, "http://"))
		}, false},
		{"oidc-provider", "alice", oidcprovider.Accounts["alice"], "alice@example.test", func(t *testing.T, env []string) (string, string, []string) {
			op := oidcprovider.Start(t, oidcprovider.Options{IDTokenTTL: 5 * time.Second})
			return op.Issuer, oidcprovider.ClientID, append(env, "LATCH_ISSUER="+op.Issuer, "LATCH_CLIENT_ID="+oidcprovider.ClientID)
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			bin := latchBinary(t)
			issuer, clientID, env := c.start(t, home(t))
			loginNoBrowser(t, env, c.user, c.password)
			email := c.email
			api := kubeapi.Start(t, issuer, clientID)
			dir := t.TempDir()
			kubeconfig := filepath.Join(dir, "config")
			base := fmt.Sprintf(`# the tests' cluster
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority-data: %s
contexts:
- name: test
  context:
    cluster: test
    user: nobody
current-context: test
users:
- name: nobody
  user: {}
`, api.URL, base64.StdEncoding.EncodeToString(api.CA))
			if err := os.WriteFile(kubeconfig, []byte(base), 0o600); err != nil {
				t.Fatal(err)
			}
			// A browser that says so if it is ever opened.
			opened := filepath.Join(dir, "opened")
			browser := filepath.Join(dir, "browser")
			if err := os.WriteFile(browser, []byte("#!/bin/sh\necho \"$1\" >> '"+opened+"'\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			env = append(env, "KUBECONFIG="+kubeconfig, "BROWSER="+browser)
			if code, out, errOut := latch(t, env, "setup", "kubectl", "--id-token", "--context", "test"); code != 0 || !strings.Contains(out, bin) {
				t.Fatalf("latch setup kubectl: exit %d: %s %s", code, out, errOut)
			}
			if b, _ := os.ReadFile(kubeconfig); !strings.Contains(string(b), "# the tests' cluster") || !strings.Contains(string(b), api.URL) {
				t.Fatalf("the kubeconfig after setup lost what it had:\n%s", b)
			}

			if code, out, errOut := kubectl(t, env, "auth", "whoami"); code != 0 || !strings.Contains(out, email) {
				t.Fatalf("kubectl auth whoami: exit %d: %s %s; want %s", code, out, errOut, email)
			}
			if code, out, errOut := kubectl(t, env, "get", "--raw", "/whoami"); code != 0 || !strings.Contains(out, `"username":"`+email+`"`) {
				t.Fatalf("kubectl get --raw /whoami: exit %d: %s %s; want %s", code, out, errOut, email)
			}

			if c.soak {
				calls, before := 0, api.Tokens()
				for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); calls++ {
					if code, _, errOut := kubectl(t, env, "get", "--raw", "/whoami"); code != 0 {
						t.Fatalf("kubectl call %d failed: %s", calls+1, errOut)
					}
				}
				t.Logf("a minute of kubectl: %d calls, %d ID tokens", calls, api.Tokens()-before)
				if api.Tokens()-before < 10 {
					t.Fatalf("a minute of kubectl on 5-second ID tokens used %d tokens; want them renewed as they go", api.Tokens()-before)
				}
			}

			latch(t, env, "logout")
			code, _, errOut := kubectl(t, env, "get", "--raw", "/whoami")
			if code == 0 || !strings.Contains(errOut, "You are not signed in. Run latch login.") {
				t.Fatalf("kubectl signed out: exit %d: %s; want a failure saying you are not signed in", code, errOut)
			}
			if _, err := os.Stat(opened); err == nil {
				t.Fatal("kubectl, not in a terminal, had Latch open a browser; want no sign-in")
			}
		})
	}
}

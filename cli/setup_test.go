package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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

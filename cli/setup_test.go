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

// A kubeconfig kept as a link (in a dotfiles folder, say) stays a link:
// setup writes the file it points to, as kubectl does.
func TestSetupKubectlWritesThroughALink(t *testing.T) {
	w := newWorld(t, nil)
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "kubeconfig")
	if err := os.MkdirAll(filepath.Dir(real), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://prod.example.test:6443\ncontexts:\n- name: prod\n  context:\n    cluster: prod\n    user: admin\ncurrent-context: prod\nusers:\n- name: admin\n  user:\n    token: keep-me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	w.env = map[string]string{"KUBECONFIG": link}
	if code, _, errOut := w.run("setup", "kubectl"); code != 0 {
		t.Fatalf("setup kubectl through a link: exit %d, %s", code, errOut)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("after setup the kubeconfig's link is %v, %v; want it kept", info.Mode(), err)
	}
	if b, _ := os.ReadFile(real); !strings.Contains(string(b), "name: latch") || !strings.Contains(string(b), "token: keep-me") {
		t.Fatalf("the linked kubeconfig after setup:\n%s\nwant the latch user beside the rest", b)
	}
}

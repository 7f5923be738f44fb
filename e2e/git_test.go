//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchapp/latch/internal/testing/gitserver"
	"github.com/latchapp/latch/internal/testing/peers"
)

// runGit runs the real git with env in dir, and returns its exit code
// and its output, stdout and stderr together.
func runGit(t *testing.T, env []string, dir string, args ...string) (int, string) {
	t.Helper()
	code, out, errOut := runBinaryIn(t, dir, "", "git", env, args...)
	return code, out + errOut
}

// TestGitThroughLatch: the real git clones and pushes over smart HTTP
// with the token that Latch, set up by `latch setup git`, gives it as
// its credential helper; a server that refuses the token makes git call
// erase, and the next git command gets a renewed token.
func TestGitThroughLatch(t *testing.T) {
	env := home(t)
	issuer, _ := startSandbox(t, env, "127.0.0.1:0")
	env = append(env, "LATCH_SANDBOX_ADDR="+strings.TrimPrefix(issuer, "http://"))
	loginNoBrowser(t, env, "demo", "demo")

	dir := t.TempDir()
	gitHome := filepath.Join(dir, "home")
	if err := os.MkdirAll(gitHome, 0o700); err != nil {
		t.Fatal(err)
	}
	env = append(env, "HOME="+gitHome, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Dana Demo", "GIT_AUTHOR_EMAIL=demo@example.test", "GIT_COMMITTER_NAME=Dana Demo", "GIT_COMMITTER_EMAIL=demo@example.test")
	root := filepath.Join(dir, "srv")
	if code, out := runGit(t, env, dir, "init", "--bare", "-b", "main", filepath.Join(root, "repo.git")); code != 0 {
		t.Fatalf("git init: %s", out)
	}
	runGit(t, env, root, "-C", "repo.git", "config", "http.receivepack", "true")
	if _, err := exec.LookPath("git"); err != nil {
		peers.Missing(t, "git", err.Error())
	}
	srv, stop, err := gitserver.New(root, issuer+"/userinfo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	// Before setup, git has no credential: the server refuses it.
	if code, _ := runGit(t, env, dir, "ls-remote", srv.URL+"/repo.git"); code == 0 {
		t.Fatal("git reached the repository with no credential helper; the server must refuse")
	}
	code, out, errOut := latch(t, env, "setup", "git", srv.URL)
	if code != 0 || !strings.Contains(out, "git-credential --host") {
		t.Fatalf("latch setup git: exit %d: %s %s", code, out, errOut)
	}
	if code, out := runGit(t, env, dir, "config", "--global", "--get-all", "credential."+srv.URL+".helper"); code != 0 || !strings.Contains(out, "git-credential") {
		t.Fatalf("the global git config after setup: %s", out)
	}

	if code, out := runGit(t, env, dir, "clone", srv.URL+"/repo.git", "work"); code != 0 {
		t.Fatalf("git clone through Latch: %s", out)
	}
	work := filepath.Join(dir, "work")
	if err := os.WriteFile(filepath.Join(work, "README"), []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runGit(t, env, work, "add", "README")
	runGit(t, env, work, "commit", "-m", "first")
	if code, out := runGit(t, env, work, "push", "origin", "main"); code != 0 {
		t.Fatalf("git push through Latch: %s", out)
	}

	// The server refuses the token: git calls erase, Latch renews, and
	// the next command goes through with the new token.
	_, before, _ := latch(t, env, "token")
	srv.RefuseAll()
	if code, out := runGit(t, env, work, "ls-remote", "origin"); code == 0 {
		t.Fatalf("git ls-remote with a refused token succeeded: %s", out)
	}
	_, after, _ := latch(t, env, "token")
	if after == before {
		t.Fatal("after git's erase the token is the one refused; want it renewed")
	}
	if code, out := runGit(t, env, work, "ls-remote", "origin"); code != 0 || !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("git ls-remote after the renewal: %s", out)
	}
	// Another host is not given the token.
	code, out, _ = runLatchWithStdin(t, env, "protocol=https\nhost=elsewhere.example.test\n\n", "git-credential", "--host", strings.TrimPrefix(srv.URL, "http://"), "get")
	if code != 0 || out != "" {
		t.Fatalf("git-credential get for another host: exit %d, %q; want nothing", code, out)
	}
}

// runLatchWithStdin runs the binary with stdin.
func runLatchWithStdin(t *testing.T, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return runBinaryIn(t, "", stdin, latchBinary(t), env, args...)
}

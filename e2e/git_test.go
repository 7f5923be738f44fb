//go:build linux

package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchapp/latch/internal/app/sandboxserver"
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

// TestATokenWithLineBreaksNeverReachesGit: a provider (or anything
// between it and Latch) that adds lines to a renewed access token, lines
// git's credential protocol would read as its own (another user, another
// host, a password), is refused when the token is received: the renewal
// fails and loses nothing, and the real `git credential fill` is given
// the token held before, with git's own host.
func TestATokenWithLineBreaksNeverReachesGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		peers.Missing(t, "git", err.Error())
	}
	env := home(t)
	// The stand-in: the sandbox behind a proxy whose address is the
	// issuer, which adds the lines to token responses once told to.
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + front.Addr().String()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	backend := free.Addr().String()
	free.Close()
	// A rotated refresh token may be spent again for a minute, as with
	// Auth0's Reuse Interval: the refused answer's new refresh token is
	// never stored, and the one held is spent again.
	startSandbox(t, env, backend, "--issuer", issuer, "--reuse-interval", "1m")
	target, _ := url.Parse("http://" + backend)
	var inject atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error {
		if !inject.Load() || r.Request.URL.Path != "/oauth/token" && !strings.HasSuffix(r.Request.URL.Path, "/token") {
			return nil
		}
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return err
		}
		var answer map[string]any
		if json.Unmarshal(body, &answer) == nil {
			if tok, ok := answer["access_token"].(string); ok {
				answer["access_token"] = tok + "\nusername=attacker\nurl=https://mallory:stolen@attacker.example/"
			}
			body, _ = json.Marshal(answer)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := &http.Server{Handler: proxy}
	go func() { _ = srv.Serve(front) }()
	t.Cleanup(func() { _ = srv.Close() })
	env = append(env, "LATCH_ISSUER="+issuer, "LATCH_CLIENT_ID="+sandboxserver.ClientID)
	loginNoBrowser(t, env, "demo", "demo")
	_, before, _ := latch(t, env, "token")
	before = strings.TrimSpace(before)

	inject.Store(true)
	code, out, errOut := latch(t, env, "token", "--min-ttl", "1h") // a renewal, now
	if strings.Contains(out+errOut, "attacker") || (code == 0 && (strings.TrimSpace(out) != before || !strings.Contains(errOut, "could not be renewed"))) {
		t.Fatalf("latch token through the stand-in: exit %d, %q %q; want the renewal refused (the token held given, with a warning), saying nothing of the token", code, out, errOut)
	}

	inject.Store(false)
	if code, out, errOut := latch(t, env, "token"); code != 0 || strings.TrimSpace(out) != before {
		t.Fatalf("latch token after the refused renewal: exit %d, %q %q; want the token held before", code, out, errOut)
	}
	inject.Store(true)
	gitHome := t.TempDir()
	env = append(env, "HOME="+gitHome, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	if code, out, errOut := latch(t, env, "setup", "git", "https://git.example.test"); code != 0 {
		t.Fatalf("latch setup git: %s %s", out, errOut)
	}
	code, out, errOut = runBinaryIn(t, gitHome, "protocol=https\nhost=git.example.test\n\n", "git", env, "credential", "fill")
	if code != 0 || strings.Contains(out, "attacker") || strings.Contains(out, "mallory") || !strings.Contains(out, "host=git.example.test\n") || !strings.Contains(out, "password="+before+"\n") {
		t.Fatalf("git credential fill: exit %d:\n%s%s\nwant git's host and the token held before, nothing of the lines added", code, out, errOut)
	}
}

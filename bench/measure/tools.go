package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/gitserver"
	"github.com/latchapp/latch/internal/testing/kubeapi"
)

// The tools developers run through Latch, each against the same tool
// given the same token by its own means: kubectl with --token, git with
// git-credential-store.

// timedRun runs name with args and env, and says how long it took.
func timedRun(env []string, name string, args ...string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%s %s: %v: %s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return time.Since(start), nil
}

// output runs name and returns its stdout, trimmed.
func output(env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// measureKubectl times `kubectl get --raw` through Latch's credential
// plugin (latch setup kubectl --id-token), on a held, valid token,
// against the same kubectl given the same ID token with --token, runs
// interleaved, against an API server that checks ID tokens as
// kube-apiserver's OIDC authenticator does.
func measureKubectl(b bins, env []string, issuer string, runs int) error {
	api, stop, err := kubeapi.New(issuer, sandboxserver.ClientID)
	if err != nil {
		return err
	}
	defer stop()
	dir, err := os.MkdirTemp("", "latch-kubectl")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	base := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: bench\n  cluster:\n    server: %s\n    certificate-authority-data: %s\ncontexts:\n- name: bench\n  context:\n    cluster: bench\n    user: nobody\ncurrent-context: bench\nusers:\n- name: nobody\n  user: {}\n",
		api.URL, base64.StdEncoding.EncodeToString(api.CA))
	plain, viaLatch := filepath.Join(dir, "plain"), filepath.Join(dir, "latch")
	for _, f := range []string{plain, viaLatch} {
		if err := os.WriteFile(f, []byte(base), 0o600); err != nil {
			return err
		}
	}
	env = append(env, "HOME="+dir)
	if _, err := output(append(env, "KUBECONFIG="+viaLatch), b.latch, "setup", "kubectl", "--id-token", "--context", "bench"); err != nil {
		return fmt.Errorf("latch setup kubectl: %w", err)
	}
	token, err := output(env, b.latch, "token", "--id-token")
	if err != nil {
		return err
	}
	// The floor: the least any exec plugin costs kubectl, a plugin that
	// is `cat` of a file holding the same ExecCredential.
	credential, err := output(env, b.latch, "token", "--id-token", "--output", "exec-credential")
	if err != nil {
		return err
	}
	credentialFile, floor := filepath.Join(dir, "credential.json"), filepath.Join(dir, "floor")
	floorUser := fmt.Sprintf("- name: nobody\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: cat\n      args: [%q]\n      interactiveMode: Never\n", credentialFile)
	if err := os.WriteFile(credentialFile, []byte(credential), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(floor, []byte(strings.Replace(base, "- name: nobody\n  user: {}\n", floorUser, 1)), 0o600); err != nil {
		return err
	}
	var latch, direct, cat []time.Duration
	for range runs + 1 {
		d, err := timedRun(env, "kubectl", "--kubeconfig", viaLatch, "get", "--raw", "/whoami")
		if err != nil {
			return err
		}
		latch = append(latch, d)
		if d, err = timedRun(env, "kubectl", "--kubeconfig", plain, "--token", token, "get", "--raw", "/whoami"); err != nil {
			return err
		}
		direct = append(direct, d)
		if d, err = timedRun(env, "kubectl", "--kubeconfig", floor, "get", "--raw", "/whoami"); err != nil {
			return err
		}
		cat = append(cat, d)
	}
	report("kubectl get --raw (median)", median(latch[1:]), median(direct[1:]), "kubectl --token")
	report("  floor: a plugin that is cat", median(cat[1:]), median(direct[1:]), "kubectl --token")
	return nil
}

// measureGit times `git ls-remote` with Latch as git's credential helper
// (latch setup git) against the same git given the same token by
// git-credential-store, runs interleaved, against git http-backend
// behind a token check.
func measureGit(b bins, env []string, issuer string, runs int) error {
	dir, err := os.MkdirTemp("", "latch-git")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	work, root := filepath.Join(dir, "work"), filepath.Join(dir, "srv")
	gitEnv := append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "HOME="+dir,
		"GIT_AUTHOR_NAME=Bench", "GIT_AUTHOR_EMAIL=bench@example.test", "GIT_COMMITTER_NAME=Bench", "GIT_COMMITTER_EMAIL=bench@example.test")
	for _, args := range [][]string{
		{"init", "-q", "-b", "main", work},
		{"-C", work, "commit", "-q", "--allow-empty", "-m", "first"},
		{"clone", "-q", "--bare", work, filepath.Join(root, "repo.git")},
	} {
		if _, err := timedRun(gitEnv, "git", args...); err != nil {
			return err
		}
	}
	srv, stop, err := gitserver.New(root, issuer+"/userinfo")
	if err != nil {
		return err
	}
	defer stop()
	repo := srv.URL + "/repo.git"
	withLatch, withStore := filepath.Join(dir, "latch"), filepath.Join(dir, "store")
	for _, h := range []string{withLatch, withStore} {
		if err := os.MkdirAll(h, 0o700); err != nil {
			return err
		}
	}
	latchEnv := append(gitEnv, "HOME="+withLatch)
	storeEnv := append(gitEnv, "HOME="+withStore)
	if _, err := output(latchEnv, b.latch, "setup", "git", srv.URL); err != nil {
		return fmt.Errorf("latch setup git: %w", err)
	}
	// A token with the whole measurement ahead of it, for both.
	token, err := output(env, b.latch, "token", "--min-ttl", "100s")
	if err != nil {
		return err
	}
	if _, err := timedRun(storeEnv, "git", "config", "--global", "credential.helper", "store"); err != nil {
		return err
	}
	stored := strings.Replace(srv.URL, "http://", "http://oauth2:"+token+"@", 1) + "\n"
	if err := os.WriteFile(filepath.Join(withStore, ".git-credentials"), []byte(stored), 0o600); err != nil {
		return err
	}
	var latch, store []time.Duration
	for range runs + 1 {
		d, err := timedRun(latchEnv, "git", "ls-remote", repo)
		if err != nil {
			return err
		}
		latch = append(latch, d)
		if d, err = timedRun(storeEnv, "git", "ls-remote", repo); err != nil {
			return err
		}
		store = append(store, d)
	}
	report("git ls-remote (median)", median(latch[1:]), median(store[1:]), "credential-store")
	return nil
}

package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"latch/cli"
	"latch/internal/oidctest"
	"latch/session"
)

// TestBinarySignsInWithBrowserFlow builds latch and signs in with it
// against a real provider, as `go run . --issuer ... --client-id ...` does,
// with the session going to the real keychain.
func TestBinarySignsInWithBrowserFlow(t *testing.T) {
	if os.Getenv("LATCH_REQUIRE_KEYCHAIN") != "1" {
		t.Skip("needs the throwaway keyring of the README's test command (scripts/test)")
	}
	op := oidctest.Start(t, oidctest.Options{})
	bin := filepath.Join(t.TempDir(), "latch")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--issuer", op.Issuer, "--client-id", oidctest.ClientID, "--no-browser", "--no-window")
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		t.Fatalf("no sign-in URL printed; stderr: %s", stderr.String())
	}
	authURL := sc.Text()
	if code, _, err := oidctest.NewBrowser("alice", oidctest.Accounts["alice"]).Visit(authURL); err != nil || code != 200 {
		t.Fatalf("browser: %d %v", code, err)
	}
	var out strings.Builder
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("latch: %v; stderr: %s", err, stderr.String())
	}
	if !strings.Contains(out.String(), "Signed in as Alice Liddell <alice@example.test> (subject alice)") {
		t.Fatalf("stdout: %s", out.String())
	}

	// The session is in the keychain: the next run signs nobody in.
	again, err := exec.CommandContext(ctx, bin, "--issuer", op.Issuer, "--client-id", oidctest.ClientID, "--no-browser", "--no-window").Output()
	if err != nil || strings.Contains(string(again), "code_challenge") || !strings.Contains(string(again), "Signed in as Alice") {
		t.Fatalf("second run: %v: %s", err, again)
	}

	m, err := session.New(session.Config{Issuer: op.Issuer, ClientID: oidctest.ClientID, Store: session.NewKeychain(cli.KeychainService), LockDir: t.TempDir(), ManualRenewal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Logout(ctx); err != nil {
		t.Fatal(err)
	}
}

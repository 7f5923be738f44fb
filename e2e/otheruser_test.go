package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/peers"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// otherUser is the second local user of the test command's machine
// (scripts/test makes it), who races the person to their sign-in.
const otherUser = "latch-other"

// attackerEnv, set, makes the test binary the other user's program (see
// TestMain): the account to sign in with, its password, and the issuer
// whose sign-in addresses it looks for, "user:password@issuer".
const attackerEnv = "LATCH_E2E_ATTACKER"

func TestMain(m *testing.M) {
	if account := os.Getenv(attackerEnv); account != "" {
		os.Exit(attack(account))
	}
	if path := os.Getenv(dialEnv); path != "" {
		os.Exit(dial(path))
	}
	os.Exit(m.Run())
}

// attack is another user of the machine, as the security review played
// them: it finds the address of someone's sign-in at issuer in the
// command line of their browser (/proc/PID/cmdline is readable by every
// user), completes it with its own account, and says what the last page
// answered. what is "user:password@issuer".
func attack(what string) int {
	account, issuer, _ := strings.Cut(what, "@")
	username, password, _ := strings.Cut(account, ":")
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if address := signInAddressOnThisMachine(issuer); address != "" {
			code, body, err := testbrowser.NewBrowser(username, password).Visit(address)
			fmt.Printf("attacker as uid %d: the last page answered %d (%v): %s\n", os.Getuid(), code, err, body)
			return 0
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Println("attacker: no sign-in address found in any command line")
	return 1
}

// signInAddressOnThisMachine is an authorization address at issuer found
// in the command line of any process of the machine, "" when there is
// none.
func signInAddressOnThisMachine(issuer string) string {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, arg := range strings.Split(string(raw), "\x00") {
			if strings.HasPrefix(arg, issuer+"/") && strings.Contains(arg, "code_challenge=") {
				return arg
			}
		}
	}
	return ""
}

// TestAnotherUserCannotTakeOverASignIn reproduces the review's finding
// with a second local user, a real uid: while latch login waits, the
// other user reads the sign-in address from the person's browser's
// command line and completes it with their own account. The other user's
// browser is refused at Latch's loopback listener, the person's sign-in
// fails visibly, and nobody is signed in: not the other user, whose code
// is never exchanged.
func TestAnotherUserCannotTakeOverASignIn(t *testing.T) {
	bin := latchBinary(t)
	op := oidcprovider.Start(t, oidcprovider.Options{})

	// The person's browser: it keeps the address in its command line
	// for as long as it runs, as a browser does.
	dir := t.TempDir()
	browser, pidFile := filepath.Join(dir, "browser"), filepath.Join(dir, "browser.pid")
	write(t, browser, "#!/bin/sh\necho $$ > "+pidFile+"\nsleep 60\n")
	if err := os.Chmod(browser, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if pid, err := os.ReadFile(pidFile); err == nil {
			_ = exec.Command("pkill", "-P", strings.TrimSpace(string(pid))).Run()
			_ = exec.Command("kill", strings.TrimSpace(string(pid))).Run()
		}
	})
	env := append(home(t), "BROWSER="+browser+" %s", "LATCH_ISSUER="+op.Issuer, "LATCH_CLIENT_ID="+oidcprovider.ClientID)
	login := exec.Command(bin, "login")
	login.Env = env
	var loginErr bytes.Buffer
	login.Stderr = &loginErr
	if err := login.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = login.Process.Kill() })

	stolen, err := asOtherUser(t, attackerEnv+"=bob:"+oidcprovider.Accounts["bob"]+"@"+op.Issuer)
	if err != nil {
		t.Fatalf("the other user's program: %v\n%s", err, stolen)
	}
	t.Logf("%s", stolen)
	if !strings.Contains(string(stolen), "answered 403") || !strings.Contains(string(stolen), "another user of this computer") {
		t.Errorf("the other user's browser ended on %q; want Latch's refusal, 403", stolen)
	}

	done := make(chan error, 1)
	go func() { done <- login.Wait() }()
	select {
	case err := <-done:
		if err == nil || strings.Contains(loginErr.String(), "Signed in as") {
			t.Fatalf("latch login ended with %v: %s; want it failed, with nobody signed in", err, loginErr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("latch login still waits 30 s after the other user's answer: %s; want it ended at once", loginErr.String())
	}
	if !strings.Contains(loginErr.String(), "did not belong to this sign-in") {
		t.Errorf("latch login said %q; want it to say the answer did not belong to this sign-in", loginErr.String())
	}
	if code, out, _ := latch(t, env, "status"); code == 0 || strings.Contains(out, "Bob") {
		t.Fatalf("latch status exit %d: %s; want nobody signed in", code, out)
	}
}

// asOtherUser runs a copy of this test binary as the second local user,
// with the environment variable setting (NAME=VALUE) that makes it the
// program TestMain says, and returns its output.
func asOtherUser(t *testing.T, setting string) ([]byte, error) {
	t.Helper()
	other, err := user.Lookup(otherUser)
	if err != nil {
		peers.Missing(t, "a second local user, "+otherUser, "scripts/test makes it")
	}
	name, _, _ := strings.Cut(setting, "=")
	// The other user's program runs as them: set here as root, else
	// through sudo.
	var asOther func(cmd string) *exec.Cmd
	switch {
	case os.Getuid() == 0:
		uid, _ := strconv.Atoi(other.Uid)
		gid, _ := strconv.Atoi(other.Gid)
		asOther = func(cmd string) *exec.Cmd {
			c := exec.Command(cmd)
			c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
			return c
		}
	case exec.Command("sudo", "-n", "-u", otherUser, "true").Run() == nil:
		asOther = func(cmd string) *exec.Cmd {
			return exec.Command("sudo", "-n", "-u", otherUser, "--preserve-env="+name, cmd)
		}
	default:
		peers.Missing(t, "a way to run a program as "+otherUser, "run the tests as root, or with sudo to "+otherUser+" without a password")
	}
	// The other user runs a copy of this test binary, where they can
	// read it.
	shared, err := os.MkdirTemp("", "latch-e2e-other-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shared) })
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	program := filepath.Join(shared, "other")
	copyFile(t, self, program)
	if err := os.Chmod(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(program, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := asOther(program)
	cmd.Env = []string{setting, "PATH=/usr/bin:/bin"}
	return cmd.CombinedOutput()
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
)

// withAgent is env with the agent on (LATCH_AGENT=auto, the default), in
// a runtime folder of the test's own; the agent the commands start is
// stopped when the test ends, and its log shown when it failed.
func withAgent(t *testing.T, env []string) []string {
	t.Helper()
	// A socket's path is at most 108 bytes: a short folder.
	dir, err := os.MkdirTemp("", "rt")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	env = append(env, "LATCH_AGENT=auto", "XDG_RUNTIME_DIR="+dir)
	t.Cleanup(func() {
		run(latchBinary(t), env, "agent", "stop")
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(envValue(env, "XDG_CACHE_HOME"), "latch", "agent.log")); err == nil {
				t.Logf("the agent's log:\n%s", log)
			}
		}
		os.RemoveAll(dir)
	})
	return env
}

// aliceThroughTheAgent signs alice in at oidc-provider (access tokens
// living ttl, behind the fault proxy) and returns the binary, the proxy
// and an environment whose commands use the agent (see withAgent).
func aliceThroughTheAgent(t *testing.T, ttl time.Duration) (string, *faultproxy.Proxy, []string) {
	t.Helper()
	bin := latchBinary(t)
	proxy, env := providerBehindProxy(t, ttl)
	env = withAgent(t, env)
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"])
	return bin, proxy, env
}

// agentStatus is what latch agent status --json says.
type agentStatus struct {
	Socket   string `json:"socket"`
	PID      int    `json:"pid"`
	Version  string `json:"version"`
	App      bool   `json:"app"`
	Accounts []struct {
		Account, Issuer, State string
	} `json:"accounts"`
}

// statusOfAgent runs latch agent status --json.
func statusOfAgent(t *testing.T, bin string, env []string) agentStatus {
	t.Helper()
	code, out, stderr := runBinary(t, bin, env, "agent", "status", "--json")
	if code != 0 {
		t.Fatalf("latch agent status: exit %d: %s; want the running agent's status", code, stderr)
	}
	var st agentStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("latch agent status --json printed %q: %v", out, err)
	}
	return st
}

// TestAgentStoresALateAnswer is the provider that answers a renewal
// late, after the command that asked gave up: the agent, which made the
// request, stores the answer (with its rotated refresh token) when it
// comes, so the session lives on. Without the agent the next command
// ended the session.
func TestAgentStoresALateAnswer(t *testing.T) {
	bin, proxy, env := aliceThroughTheAgent(t, time.Hour)
	if code, stderr := run(bin, env, "token"); code != 0 {
		t.Fatalf("latch token: %s; want a token, from the agent it starts", stderr)
	}
	st := statusOfAgent(t, bin, env)
	if st.App || len(st.Accounts) != 1 || st.Accounts[0].State != "signed in" || !strings.HasSuffix(st.Socket, "/latch/agent.sock") {
		t.Fatalf("agent status %+v; want a headless agent holding the signed-in session", st)
	}

	// The provider processes the renewal at once and answers 40 s later:
	// past the command's deadline, and past the 30 s a command's
	// request to the provider may take.
	proxy.SetFault(&faultproxy.Fault{HoldAnswer: 40 * time.Second, Times: 1})
	start := time.Now()
	code, stderr := run(bin, env, "token", "--min-ttl", "2h", "--timeout", "5s")
	if code == 0 || !strings.Contains(stderr, "Gave up after 5s") || time.Since(start) > 10*time.Second {
		t.Fatalf("latch token --timeout 5s with the provider 40 s late: exit %d after %s: %s; want it to give up within its deadline", code, time.Since(start).Round(time.Second), stderr)
	}
	time.Sleep(45*time.Second - time.Since(start))
	// The session lives: its rotated refresh token was stored, and
	// renews (a refresh token spent twice would end it: the provider
	// detects reuse).
	if code, stderr := run(bin, env, "token", "--min-ttl", "2h"); code != 0 {
		t.Fatalf("latch token after the late answer: %s; want the session alive", stderr)
	}
	if code, stderr := run(bin, append(env, "LATCH_AGENT=off"), "token", "--min-ttl", "2h"); code != 0 {
		t.Fatalf("latch token --agent off after the late answer: %s; want the keychain to hold the live session", stderr)
	}
}

// TestAgentKeepsRetryAfter is a provider that answers 429 with
// Retry-After: the commands after the first do not ask it again before
// that time; each gives at once the token held, still valid, saying on
// stderr that it could not be renewed and when to try again.
func TestAgentKeepsRetryAfter(t *testing.T) {
	bin, proxy, env := aliceThroughTheAgent(t, time.Hour)
	proxy.SetFault(&faultproxy.Fault{Status: 429, ContentType: "application/json", Body: `{"error":"slow_down"}`, Header: map[string]string{"Retry-After": "120"}})
	said := func(code int, stderr string) bool {
		return code == 0 && strings.Contains(stderr, "Warning: The token could not be renewed") && strings.Contains(stderr, "try again after")
	}
	if code, stderr := run(bin, env, "token", "--min-ttl", "2h"); !said(code, stderr) {
		t.Fatalf("latch token with the provider answering 429: exit %d, %q; want the token held and the pause said", code, stderr)
	}
	asked := len(proxy.TokenRequests())
	for range 5 {
		start := time.Now()
		code, stderr := run(bin, env, "token", "--min-ttl", "2h")
		if !said(code, stderr) || time.Since(start) > 5*time.Second {
			t.Fatalf("latch token during Retry-After: exit %d after %s: %s; want the token held at once, and the pause said", code, time.Since(start).Round(time.Millisecond), stderr)
		}
	}
	if n := len(proxy.TokenRequests()); n != asked {
		t.Fatalf("the provider was asked %d more times during its Retry-After; want none", n-asked)
	}
	// The token held is still handed out.
	if code, stderr := run(bin, env, "token"); code != 0 {
		t.Fatalf("latch token: %s; want the token held, valid for an hour", stderr)
	}
}

// TestFourProcessesThroughTheAgent is TestFourProcessesShareOneSession
// through the agent: four processes call latch token in loops for 30 s,
// with 2-second tokens.
func TestFourProcessesThroughTheAgent(t *testing.T) {
	bin, proxy, env := aliceThroughTheAgent(t, 2*time.Second)

	fourProcessesForThirtySeconds(t, bin, env, proxy)
}

// TestAgentKilledAndReplaced kills the agent (kill -9: its socket stays
// behind), then runs an agent of another version: each time the next
// command works, with an agent of its own version.
func TestAgentKilledAndReplaced(t *testing.T) {
	bin, _, env := aliceThroughTheAgent(t, time.Hour)
	if code, stderr := run(bin, env, "token"); code != 0 {
		t.Fatalf("latch token: %s", stderr)
	}
	first := statusOfAgent(t, bin, env)
	if err := syscall.Kill(first.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, first.PID)
	if code, stderr := run(bin, env, "token"); code != 0 {
		t.Fatalf("latch token after kill -9 of the agent: %s; want a token", stderr)
	}
	second := statusOfAgent(t, bin, env)
	if second.PID == first.PID {
		t.Fatalf("the agent's pid is still %d", first.PID)
	}

	// An agent of another version runs: the next command replaces it.
	older := filepath.Join(t.TempDir(), "latch")
	build := exec.Command("go", "build", "-tags", "migrated_fynedo", "-ldflags", "-X github.com/latchapp/latch/internal/app/latchapp.version=v0.0.1-older", "-o", older, "./cmd/latch")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building an older latch: %v\n%s", err, out)
	}
	run(bin, env, "agent", "stop")
	if code, stderr := run(older, env, "token"); code != 0 {
		t.Fatalf("the older latch token: %s", stderr)
	}
	if st := statusOfAgent(t, older, env); st.Version != "v0.0.1-older" {
		t.Fatalf("the agent's version is %q; want the older one's", st.Version)
	}
	if code, stderr := run(bin, env, "token"); code != 0 {
		t.Fatalf("latch token with an agent of another version running: %s; want a token, and no version error", stderr)
	}
	if st := statusOfAgent(t, bin, env); st.Version == "v0.0.1-older" {
		t.Fatalf("the agent is still of version %q; want it replaced", st.Version)
	}
}

// waitExited waits until no process has pid.
func waitExited(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAnotherUserCannotReachTheAgent runs a program of the second local
// user that connects to the person's agent: the folder of its socket is
// the person's alone, so the connection is refused.
func TestAnotherUserCannotReachTheAgent(t *testing.T) {
	bin, _, env := aliceThroughTheAgent(t, time.Hour)
	if code, stderr := run(bin, env, "token"); code != 0 {
		t.Fatalf("latch token: %s", stderr)
	}
	st := statusOfAgent(t, bin, env)
	info, err := os.Stat(filepath.Dir(st.Socket))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o700 {
		t.Fatalf("the agent's folder has mode %v; want 0700", info.Mode().Perm())
	}
	// The runtime folder is open to the other user as far as the
	// agent's own folder: only that one keeps them out.
	if err := os.Chmod(filepath.Dir(filepath.Dir(st.Socket)), 0o711); err != nil {
		t.Fatal(err)
	}
	out, err := asOtherUser(t, dialEnv+"="+st.Socket)
	if err != nil || !strings.Contains(string(out), "permission denied") {
		t.Fatalf("the other user's connection: %q (%v); want it refused (permission denied)", out, err)
	}
	if code, stderr := run(bin, env, "token"); code != 0 {
		t.Fatalf("latch token after the other user's attempt: %s", stderr)
	}
}

// dialEnv, set, makes the test binary a program that connects to the
// socket it names and says what came of it (see TestMain).
const dialEnv = "LATCH_E2E_DIAL"

// dial connects to the socket at path, asks for the agent's status,
// and says what came of it on stdout.
func dial(path string) int {
	c, err := net.Dial("unix", path)
	if err != nil {
		fmt.Println("connect:", err)
		return 0
	}
	defer c.Close()
	_, _ = c.Write([]byte(`{"op":"status"}` + "\n"))
	b, err := io.ReadAll(c)
	fmt.Printf("answered %q (%v)\n", b, err)
	return 0
}

// TestAppTakesOverFromAHeadlessAgent starts the desktop app while a
// headless agent serves two processes that call latch token in loops:
// the app becomes the agent, the headless one exits, and no call fails.
func TestAppTakesOverFromAHeadlessAgent(t *testing.T) {
	bin := latchBinary(t)
	needDisplay(t)
	_, env := providerBehindProxy(t, time.Hour)
	env = withAgent(t, env)
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"])
	if code, stderr := run(bin, env, "token"); code != 0 {
		t.Fatalf("latch token: %s", stderr)
	}
	headless := statusOfAgent(t, bin, env)

	type result struct {
		calls, failures int
		first           string
	}
	done := make(chan result, 1)
	go func() {
		calls, failures, first := runInLoops(bin, env, 2, 10*time.Second, "token")
		done <- result{calls, failures, first}
	}()
	time.Sleep(time.Second)
	waitScreen := startAppLogging(t, bin, env, io.Discard)
	waitScreen("screen=profile", time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	var st agentStatus
	for st = statusOfAgent(t, bin, env); !st.App; st = statusOfAgent(t, bin, env) {
		if time.Now().After(deadline) {
			t.Fatalf("agent status %+v 10 s after the app showed its window; want the app", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitExited(t, headless.PID)
	r := <-done
	t.Logf("2 processes, 10 s, the app started among them: %d calls, %d failed", r.calls, r.failures)
	if r.failures != 0 {
		t.Fatalf("%d of %d calls failed while the app took over; want none; the first said: %s", r.failures, r.calls, r.first)
	}
	if code, stdout, stderr := runBinary(t, bin, env, "agent", "stop"); code != 1 || !strings.Contains(stderr, "quit the app") {
		t.Fatalf("latch agent stop with the app as the agent: exit %d, %q %q; want 1, saying to quit the app", code, stdout, stderr)
	}
}

// TestCommandsAskTheAgentAndItFollowsOthers runs status, tokens and
// metadata through the agent, on the sandbox, and signs out and in with
// commands that do not tell the agent (LATCH_AGENT=off): the agent
// follows each within a second.
func TestCommandsAskTheAgentAndItFollowsOthers(t *testing.T) {
	bin := latchBinary(t)
	env := home(t)
	issuer, _ := startSandbox(t, env, "127.0.0.1:0")
	env = withAgent(t, append(env, "LATCH_SANDBOX_ADDR="+strings.TrimPrefix(issuer, "http://")))
	alone := append(slices.Clone(env), "LATCH_AGENT=off")
	loginNoBrowser(t, env, "demo", "demo")

	code, out, stderr := runBinary(t, bin, env, "status", "--json")
	if code != 0 || !strings.Contains(out, `"subject": "sandbox|demo"`) || !strings.Contains(out, `"state": "signed in"`) {
		t.Fatalf("latch status --json: exit %d, %s %s; want demo signed in", code, out, stderr)
	}
	if st := statusOfAgent(t, bin, env); len(st.Accounts) != 1 || st.Accounts[0].Account != "default" {
		t.Fatalf("agent status %+v; want it to hold the session latch status asked about", st)
	}
	code, out, _ = runBinary(t, bin, env, "agent", "status")
	if code != 0 || !strings.HasPrefix(out, "The agent runs (headless, pid ") || !strings.Contains(out, "\nSocket: ") || !strings.Contains(out, "Account default at "+issuer+": signed in, the token expires ") {
		t.Fatalf("latch agent status: exit %d, %q; want the agent, its socket and the session held", code, out)
	}
	if code, _, stderr := runBinary(t, bin, env, "tokens"); code != 0 || !strings.Contains(stderr, "No named tokens") {
		t.Fatalf("latch tokens: exit %d, %s; want none held", code, stderr)
	}
	if code, _, stderr := runBinary(t, bin, env, "metadata", "set", "theme=dark", `nested={"a":[1,true,null]}`); code != 0 {
		t.Fatalf("latch metadata set: exit %d, %s", code, stderr)
	}
	code, out, stderr = runBinary(t, bin, env, "metadata", "get")
	if code != 0 || !strings.Contains(out, `nested={"a":[1,true,null]}`+"\n") || !strings.Contains(out, `theme="dark"`) {
		t.Fatalf("latch metadata get: exit %d, %q %s; want both keys as set", code, out, stderr)
	}

	// Signed out by a command that does not tell the agent.
	if code, _, stderr := runBinary(t, bin, alone, "logout"); code != 0 {
		t.Fatalf("latch logout --agent off: %s", stderr)
	}
	within(t, time.Second, "the agent to follow the sign-out made elsewhere", func() bool {
		code, _, stderr := runBinary(t, bin, env, "token")
		return code == 1 && strings.Contains(stderr, "not signed in")
	})
	loginNoBrowser(t, alone, "demo", "demo")
	within(t, time.Second, "the agent to follow the sign-in made elsewhere", func() bool {
		code, _, _ := runBinary(t, bin, env, "token")
		return code == 0
	})
}

// within waits up to limit for ok, saying what it waited for if it never
// came.
func within(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > limit {
			t.Fatalf("waited %s for %s; it did not come", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
}

// TestWithoutTheAgentALateAnswerIsStoredToo is TestAgentStoresALateAnswer
// with the agent off: the command renews in a detached child of its own,
// which outlives the command's deadline once it has sent the renewal and
// stores the late answer.
func TestWithoutTheAgentALateAnswerIsStoredToo(t *testing.T) {
	bin := latchBinary(t)
	proxy, env := providerBehindProxy(t, time.Hour) // LATCH_AGENT=off
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"])
	proxy.SetFault(&faultproxy.Fault{HoldAnswer: 8 * time.Second, Times: 1})
	start := time.Now()
	code, stderr := run(bin, env, "token", "--min-ttl", "2h", "--timeout", "3s")
	if took := time.Since(start); code != 1 || stderr != "latch token: Gave up after 3s: the provider did not answer in time. Try again, or give it longer with --timeout.\n" || took > 7*time.Second {
		t.Fatalf("latch token --timeout 3s with the provider 8 s late: exit %d after %s: %q; want 1 within its deadline, saying it gave up", code, took.Round(time.Millisecond), stderr)
	}
	time.Sleep(10*time.Second - time.Since(start))
	if code, stderr := run(bin, env, "token", "--min-ttl", "2h"); code != 0 {
		t.Fatalf("latch token after the late answer: %s; want the session alive", stderr)
	}
}

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/syncbuf"
)

// prodAudience is the API the tests mark confirm = true.
const prodAudience = "https://prod.example.test/"

// confirmConfig starts a sandbox, writes a config file that marks the
// named token prod confirm = true (and leaves dev unmarked), and signs
// demo in, with the agent on.
func confirmConfig(t *testing.T) []string {
	t.Helper()
	env := withAgent(t, home(t))
	issuer, _ := startSandbox(t, env, "127.0.0.1:0")
	writeConfig(t, env, fmt.Sprintf(`issuer = %q
client_id = %q
metadata_api = %q

[apis.prod]
audience = %q
scopes = ["orders:read"]
confirm = true

[apis.dev]
audience = "https://dev.example.test/"
scopes = ["orders:read"]
`, issuer, sandboxserver.ClientID, issuer+"/api/v2/", prodAudience))
	loginNoBrowser(t, env, "demo", "demo")
	return env
}

// use is one entry of latch agent log --json.
type use struct {
	Token, Outcome string
	Program        struct {
		PID   int
		Path  string
		Args  []string
		RunBy *struct{ Path string } `json:"run_by"`
	}
}

// agentLog is what latch agent log --json says, newest first.
func agentLog(t *testing.T, env []string) []use {
	t.Helper()
	code, out, errOut := latch(t, env, "agent", "log", "--json")
	if code != 0 {
		t.Fatalf("latch agent log --json: exit %d, %s", code, errOut)
	}
	var uses []use
	if err := json.Unmarshal([]byte(out), &uses); err != nil {
		t.Fatalf("latch agent log --json printed %q: %v", out, err)
	}
	return uses
}

// TestConfirmWithoutTheApp: with a headless agent, and with the agent
// off, a token marked confirm = true is refused at once, saying that the
// desktop app must confirm it; an unmarked one is handed out; latch
// tokens and status say which need confirming; the agent's log names
// the refusal and the program.
func TestConfirmWithoutTheApp(t *testing.T) {
	bin := latchBinary(t)
	env := confirmConfig(t)

	start := time.Now()
	code, out, errOut := latch(t, env, "token", "--name", "prod")
	if took := time.Since(start); code == 0 || out != "" || !strings.Contains(errOut, "allow it in Latch's desktop app") || took > 10*time.Second {
		t.Fatalf("token --name prod with a headless agent: exit %d in %s, stdout %q, stderr %q; want a refusal within 10 s saying the app must confirm", code, took, out, errOut)
	}
	off := append(env[:len(env):len(env)], "LATCH_AGENT=off")
	if code, out, errOut := latch(t, off, "token", "--name", "prod"); code == 0 || out != "" || !strings.Contains(errOut, "allow it in Latch's desktop app") {
		t.Fatalf("token --name prod without the agent: exit %d, stdout %q, stderr %q; want the same refusal", code, out, errOut)
	}
	if code, out, errOut := latch(t, env, "token", "--name", "dev"); code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("token --name dev (not marked): exit %d, %s; want the token", code, errOut)
	}

	code, out, errOut = latch(t, env, "status")
	if code != 0 || !strings.Contains(out, "Confirmed in the app: prod") {
		t.Fatalf("latch status: exit %d, %q %s; want a line naming prod as confirmed in the app", code, out, errOut)
	}
	code, out, _ = latch(t, env, "tokens", "--json")
	var tokens []struct {
		Name    string
		Confirm bool
	}
	if err := json.Unmarshal([]byte(out), &tokens); code != 0 || err != nil || len(tokens) != 1 || tokens[0].Name != "dev" || tokens[0].Confirm {
		t.Fatalf("latch tokens --json: exit %d, %s; want dev alone, not confirmed (prod was never handed out)", code, out)
	}

	uses := agentLog(t, env)
	if len(uses) != 2 || uses[0].Token != "dev" || uses[0].Outcome != "automatic" || uses[1].Token != "prod" || uses[1].Outcome != "refused" {
		t.Fatalf("the agent's log %+v; want dev automatic, then prod refused (the refusal without the agent is not the agent's)", uses)
	}
	if p := uses[1].Program; p.Path != bin || len(p.Args) < 4 || p.Args[1] != "token" || p.Args[3] != "prod" {
		t.Fatalf("the refusal names the program %+v; want %s token --name prod", p, bin)
	}
}

// TestConfirmInTheAppWindow runs the desktop app (the agent) under Xvfb:
// latch token --name prod waits and says so; Enter in the app's window
// allows it (the token is printed), Escape denies it (exit 1,
// "denied"); the log has both, with the program's path.
func TestConfirmInTheAppWindow(t *testing.T) {
	bin := latchBinary(t)
	needDisplay(t, "xdotool")
	env := confirmConfig(t)
	waitScreen := startAppLogging(t, bin, env, io.Discard)
	waitScreen("screen=profile", time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for !statusOfAgent(t, bin, env).App {
		if time.Now().After(deadline) {
			t.Fatal("the app is not the agent 10 s after it showed its window")
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, c := range []struct {
		key      string
		wantCode int
		want     string
	}{
		{"Return", 0, ""},
		{"Escape", 1, "denied"},
	} {
		cmd := exec.Command(bin, "token", "--name", "prod")
		cmd.Env = env
		var stdout, stderr syncbuf.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitText(t, &stderr, "waiting for you to allow this token in Latch's window")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		window := latchWindow(ctx, t)
		xdotool(ctx, t, "windowfocus", "--sync", window)
		time.Sleep(500 * time.Millisecond) // the question is drawn and the window has the focus
		xdotool(ctx, t, "key", "--window", window, c.key)
		cancel()
		err := waitCmd(t, cmd, 30*time.Second)
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != c.wantCode || (c.wantCode == 0) != (strings.TrimSpace(stdout.String()) != "") || !strings.Contains(stderr.String(), c.want) {
			t.Fatalf("%s in the app's window: latch token --name prod exit %d (%v), stdout %q, stderr %q; want exit %d and %q",
				c.key, code, err, stdout.String(), stderr.String(), c.wantCode, c.want)
		}
	}

	uses := agentLog(t, env)
	if len(uses) != 2 || uses[0].Outcome != "denied" || uses[1].Outcome != "allowed" || uses[0].Token != "prod" || uses[1].Token != "prod" {
		t.Fatalf("the agent's log %+v; want prod denied, then prod allowed", uses)
	}
	test, _ := os.Executable()
	for _, u := range uses {
		if u.Program.Path != bin || u.Program.RunBy == nil || u.Program.RunBy.Path != test {
			t.Fatalf("a use names the program %+v; want %s, run by this test (%s)", u.Program, bin, test)
		}
	}
}

// waitText waits up to 20 s for b to hold want.
func waitText(t *testing.T, b *syncbuf.Buffer, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20 s for %q; the output is %q", want, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitCmd waits up to limit for cmd to end, and kills it past that.
func waitCmd(t *testing.T, cmd *exec.Cmd, limit time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not end within %s", cmd.Args, limit)
		return nil
	}
}

package sandboxhost

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxclient"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/syncbuf"
)

func describe(addr string, err error) string { return "described: " + addr }

// As the child of another program, latch-sandbox serves, says where, and
// stops when its standard input closes.
func TestChildServesUntilItsStdinCloses(t *testing.T) {
	addr := sandboxtest.FreeAddr(t)
	state := filepath.Join(t.TempDir(), "sandbox.json")
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	var stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(t.Context(), []string{"--child", "--addr", addr, "--state-file", state, "--token-ttl", "5s"}, stdinR, stdoutW, &stderr, describe, "Latch test")
		stdoutW.Close()
	}()
	lines := map[string]string{}
	sc := bufio.NewScanner(stdoutR)
	for len(lines) < 3 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ": ")
		lines[k] = v
	}
	go func() { _, _ = io.Copy(io.Discard, stdoutR) }()
	issuer := "http://" + addr
	if lines["issuer"] != issuer || lines["client_id"] != sandboxclient.ClientID || lines["metadata_api"] != issuer+"/api/v2/" {
		t.Fatalf("it printed %v (stderr %q); want issuer %s, client_id %s and metadata_api", lines, stderr.String(), issuer, sandboxclient.ClientID)
	}
	if got, ok := sandboxclient.Running(t.Context(), addr, state); !ok || got != issuer {
		t.Fatalf("Running gave %q, %t; want the sandbox at %s proving its state", got, ok, issuer)
	}
	stdinW.Close()
	select {
	case code := <-done:
		if code != 0 || stderr.String() != "" {
			t.Errorf("it ended with %d, stderr %q; want 0 and nothing said", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("it still runs 10 s after its stdin closed")
	}
	if _, ok := sandboxclient.Running(context.Background(), addr, state); ok {
		t.Error("the sandbox still answers after it ended")
	}
}

// A sandbox that cannot start ends latch-sandbox with the exit status of
// its error: worded for a person when run by one, as it is for the
// program that started it as a child.
func TestSandboxThatCannotStartSaysWhy(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	corrupt := filepath.Join(t.TempDir(), "sandbox.json")
	if err := os.WriteFile(corrupt, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		args      []string
		code      int
		person    string // what a person is told
		childSays string // in what the child says
	}{
		{"address taken", []string{"--addr", taken.Addr().String(), "--state-file", filepath.Join(t.TempDir(), "s.json")}, 3, "described: " + taken.Addr().String(), "is in use by a program that is not Latch's sandbox"},
		{"corrupt state", []string{"--addr", "127.0.0.1:0", "--state-file", corrupt}, 4, "described: 127.0.0.1:0", "state file is corrupt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr syncbuf.Buffer
			code := Main(t.Context(), c.args, strings.NewReader(""), &stdout, &stderr, describe, "Latch test")
			if code != c.code || strings.TrimSpace(stderr.String()) != c.person || stdout.String() != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want %d and %q alone", code, stderr.String(), stdout.String(), c.code, c.person)
			}
			var childErr syncbuf.Buffer
			code = Main(t.Context(), append([]string{"--child"}, c.args...), strings.NewReader(""), &stdout, &childErr, describe, "Latch test")
			if code != c.code || !strings.Contains(childErr.String(), c.childSays) || strings.Count(childErr.String(), "\n") != 1 {
				t.Errorf("as a child: exit %d, stderr %q; want %d and one line saying %q", code, childErr.String(), c.code, c.childSays)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args         []string
		code         int
		stdout, says string
	}{
		{[]string{"--help"}, 0, "Runs Latch's built-in sandbox provider", ""},
		{[]string{"--nope"}, 2, "", "flag provided but not defined: -nope (see latch-sandbox --help)"},
		{[]string{"extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"--token-ttl", "10ms"}, 2, "", "--token-ttl must be at least 1s"},
	} {
		var stdout, stderr syncbuf.Buffer
		code := Main(t.Context(), c.args, strings.NewReader(""), &stdout, &stderr, describe, "Latch test")
		if code != c.code || !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.says) {
			t.Errorf("latch-sandbox %v: exit %d, stdout %q, stderr %q; want %d, %q and %q", c.args, code, stdout.String(), stderr.String(), c.code, c.stdout, c.says)
		}
	}
}

//go:build linux

package e2e

import (
	"bytes"
	"context"
	"io/fs"
	"latch/internal/syncbuf"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"latch/internal/faultproxy"
	"latch/internal/peers"
	"latch/internal/testbrowser"
	"latch/sandbox"
)

// TestNoTokenLeaks runs a whole session at debug log level, through the
// command line and the app under Xvfb, against the sandbox behind a proxy
// that records every secret that passes: sign-in in the browser and on
// another device, renewals, metadata edits, sign-out. Then it searches
// every process's stderr, the config and cache folders (Fyne's
// preferences and the avatar cache included) and the sandbox's state file
// for each of them.
func TestNoTokenLeaks(t *testing.T) {
	bin := latchBinary(t)
	if os.Getenv("DISPLAY") == "" {
		peers.Missing(t, "an X display", "DISPLAY is not set")
	}
	if _, err := exec.LookPath("xdotool"); err != nil {
		peers.Missing(t, "xdotool", "not on PATH")
	}
	env := home(t)
	var configDir, cacheDir string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "XDG_CONFIG_HOME="); ok {
			configDir = v
		}
		if v, ok := strings.CutPrefix(kv, "XDG_CACHE_HOME="); ok {
			cacheDir = v
		}
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	proxy := faultproxy.Listen(t)
	logs := &syncbuf.Buffer{}

	sb := exec.Command(bin, "sandbox", "--verbose", "--addr", addr, "--issuer", proxy.URL, "--token-ttl", "3s")
	sb.Env, sb.Stderr = env, logs
	out, err := sb.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Process.Kill(); _ = sb.Wait() })
	if _, err := out.Read(make([]byte, 256)); err != nil {
		t.Fatalf("latch sandbox printed nothing (%v), want its issuer", err)
	}
	proxy.Forward("http://" + addr)
	env = append(env, "LATCH_ISSUER="+proxy.URL, "LATCH_CLIENT_ID="+sandbox.ClientID, "LATCH_METADATA_API="+proxy.URL+"/api/v2/")

	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(args, "--verbose")...)
		cmd.Env = env
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, logs
		if err := cmd.Run(); err != nil {
			t.Fatalf("latch %v failed: %v", args, err)
		}
		return stdout.String()
	}
	start := func(args ...string) (*exec.Cmd, *bytes.Buffer, func() string) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--verbose")...)
		cmd.Env, cmd.Stderr = env, logs
		pipe, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		buf := make([]byte, 4096)
		line := func() string {
			for !strings.Contains(got.String(), "\n") {
				n, err := pipe.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					break
				}
			}
			s, rest, _ := strings.Cut(got.String(), "\n")
			got.Reset()
			got.WriteString(rest)
			return s
		}
		return cmd, &got, line
	}

	// The command line: sign-in in the browser, tokens, a renewal,
	// metadata, status, sign-out.
	cmd, _, line := start("login", "--no-browser")
	if code, _, err := testbrowser.NewBrowser("demo", "demo").Visit(line()); err != nil || code != 200 {
		t.Fatalf("browser sign-in ended on %d, %v; want 200", code, err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("latch login failed: %v", err)
	}
	run("token")
	run("token", "--min-ttl", "1h")
	run("metadata", "set", "color=blue", `prefs={"a":1}`)
	run("metadata", "get", "--json")
	run("status", "--json")
	run("logout")

	// Sign-in on another device.
	cmd, _, line = start("login", "--device")
	var complete string
	for range 3 {
		if v, ok := strings.CutPrefix(line(), "verification_uri_complete: "); ok {
			complete = v
		}
	}
	if code, _, err := testbrowser.NewBrowser("ada", "lovelace").Visit(complete); err != nil || code != 200 {
		t.Fatalf("device sign-in ended on %d, %v; want 200", code, err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("latch login --device failed: %v", err)
	}
	run("token")

	// The app: the stored session, renewals by its scheduler, userinfo and
	// the avatar, then a sign-out with the keyboard.
	waitScreen := startAppLogging(t, bin, env, logs)
	waitScreen("screen=profile", time.Minute)
	time.Sleep(5 * time.Second) // renewals of 3-second tokens
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	win, err := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--name", "^Latch$").Output()
	if err != nil {
		t.Fatalf("xdotool found no window named Latch (%v), want one", err)
	}
	window := strings.Fields(string(win))[0]
	for _, args := range [][]string{{"windowfocus", "--sync", window}, {"key", "--window", window, "--clearmodifiers", "ctrl+shift+q"}, {"key", "--window", window, "Return"}} {
		time.Sleep(500 * time.Millisecond)
		if out, err := exec.CommandContext(ctx, "xdotool", args...).CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v failed: %v %s", args, err, out)
		}
	}
	waitScreen("screen=signin", time.Minute)
	// The app tells the provider after it shows the sign-in screen; wait
	// until that is done and nothing of Latch is left in the keychain.
	waitKeychainEmpty(t)

	// The search.
	var secrets []string
	for _, s := range proxy.Secrets() {
		if len(s) >= 8 && !slices.Contains(secrets, s) {
			secrets = append(secrets, s)
		}
	}
	if len(secrets) < 10 {
		t.Fatalf("%d secrets recorded, want every code, verifier and token of the run", len(secrets))
	}
	places := map[string]string{"the processes' stderr": logs.String()}
	for _, dir := range []string{configDir, cacheDir} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, err := os.ReadFile(path); err == nil {
					places[path] = string(b)
				}
			}
			return nil
		})
	}
	for where, text := range places {
		for i, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %d of %d (%d characters) appears in %s, want it nowhere", i+1, len(secrets), len(s), where)
			}
		}
	}
	t.Logf("%d secrets searched for in %d places (stderr of every process, %d files): none found", len(secrets), len(places), len(places)-1)
}

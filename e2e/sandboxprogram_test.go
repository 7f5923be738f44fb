package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/sandboxtest"
)

// stopsListening waits up to 10 s for addr to be free again.
func stopsListening(t *testing.T, addr, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); sandboxtest.Listening(addr); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox at %s still serves 10 s after %s; want latch-sandbox gone with it", addr, what)
		}
	}
}

// The sandbox is the program latch-sandbox, which latch starts beside
// itself: it goes when latch goes, however latch ends.
func TestSandboxProgramGoesWithLatch(t *testing.T) {
	env := home(t)
	for _, end := range []struct {
		name string
		sig  os.Signal
	}{{"interrupted", os.Interrupt}, {"killed", syscall.SIGKILL}} {
		t.Run(end.name, func(t *testing.T) {
			addr := sandboxtest.FreeAddr(t)
			p := startLatch(t, env, "sandbox", "--addr", addr)
			if lines := p.fields(3); lines["issuer"] != "http://"+addr || !sandboxtest.Listening(addr) {
				t.Fatalf("latch sandbox printed %v (%s); want the issuer http://%s, listening", lines, p.stderr.String(), addr)
			}
			_ = p.cmd.Process.Signal(end.sig)
			_ = p.cmd.Wait()
			stopsListening(t, addr, "latch was "+end.name)
		})
	}
}

// What keeps the sandbox from running is said in one sentence: its
// address taken by another program, or its program not installed.
func TestSandboxProgramSaysWhatIsWrong(t *testing.T) {
	env := home(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	code, _, stderr := latch(t, env, "sandbox", "--addr", taken.Addr().String())
	want := "latch sandbox: Another program is using " + taken.Addr().String() + ", the Latch sandbox's address."
	if code != 1 || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("latch sandbox on a taken address: exit %d, %q; want 1 and one line starting %q", code, stderr, want)
	}

	alone := filepath.Join(t.TempDir(), "latch")
	bin, err := os.ReadFile(latchBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runBinary(t, alone, append(env, "PATH=/usr/bin:/bin"), "sandbox", "--addr", sandboxtest.FreeAddr(t))
	want = "latch sandbox: The Latch sandbox could not be started: its program, latch-sandbox, is neither beside latch nor on the PATH; install it with Latch.\n"
	if code != 1 || stderr != want {
		t.Errorf("latch without latch-sandbox: exit %d, %q; want 1 and %q", code, stderr, want)
	}
}

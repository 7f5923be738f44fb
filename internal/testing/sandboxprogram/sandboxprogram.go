// Package sandboxprogram runs Latch's sandbox provider for tests as the
// program latch-sandbox, built once per test process, so that a test
// binary that needs the sandbox as a peer links none of it: no OpenID
// engine, no tracing stack. Package sandboxtest runs it in the test's own
// process instead, for the tests that reach into it.
package sandboxprogram

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxclient"
)

// The sandbox's demo account, which its sign-in page takes.
const (
	DemoUser     = "demo"
	DemoPassword = "demo"
)

// built is latch-sandbox as this process built it.
var built struct {
	sync.Once
	dir, path string
	err       error
}

// Path is latch-sandbox: the program that LATCH_SANDBOX_PROGRAM names, else
// one built from cmd/latch-sandbox into a folder of this process's, once
// (the build cache makes it quick after the first time).
func Path() (string, error) {
	if p := os.Getenv("LATCH_SANDBOX_PROGRAM"); p != "" {
		return p, nil
	}
	built.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "latch-sandbox-program-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "latch-sandbox")
		if runtime.GOOS == "windows" {
			built.path += ".exe"
		}
		cmd := exec.Command("go", "build", "-o", built.path, "./cmd/latch-sandbox")
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("building latch-sandbox: %v\n%s", err, out)
		}
	})
	return built.path, built.err
}

// Remove removes the program this process built, if any; call it once
// the tests are over (TestMain).
func Remove() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

// Run starts the sandbox on a free loopback port with its state in
// stateFile and access tokens that live for ttl (0: its default), until
// Close.
func Run(stateFile string, ttl time.Duration) (sandboxclient.Instance, error) {
	path, err := Path()
	if err != nil {
		return nil, err
	}
	return sandboxclient.Program(context.Background(), sandboxclient.Options{Addr: "127.0.0.1:0", StateFile: stateFile, AccessTokenTTL: ttl, Program: path})
}

// Start runs the sandbox until the test ends, on a free loopback port,
// with its state in a folder of the test's and access tokens that live
// for ttl (0: its default).
func Start(t testing.TB, ttl time.Duration) sandboxclient.Instance {
	t.Helper()
	srv, err := Run(filepath.Join(t.TempDir(), "sandbox.json"), ttl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// repoRoot finds the module root from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

package sessiontest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// asBrowser is set in the environment of a test binary that $BROWSER
// runs as the person's browser (see RunExamples).
const asBrowser = "LATCH_EXAMPLES_BROWSER"

// RunExamples runs a package's tests and examples with what its examples
// need to sign someone in: a provider, Latch's sandbox started in this
// process, whose issuer it puts in *issuer; and a person at a browser,
// this test binary itself, which $BROWSER names: when an example opens
// the sign-in address in "the person's browser", the binary runs again
// with the address, signs in as the sandbox's demo account over HTTP, as
// the person would in their browser, and exits. The examples' code is
// then what a program does, with nothing of the tests in it. Call it from
// TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(sessiontest.RunExamples(m, &issuer)) }
func RunExamples(m *testing.M, issuer *string) int {
	if os.Getenv(asBrowser) != "" && len(os.Args) == 2 {
		return signInAsDemo(os.Args[1])
	}
	dir, err := os.MkdirTemp("", "latch-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err := sandboxserver.New(sandboxserver.Config{Addr: "127.0.0.1:0", StateFile: filepath.Join(dir, "sandbox.json")})
	if err == nil {
		err = srv.Start(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "the examples' sandbox:", err)
		return 1
	}
	defer srv.Close()
	*issuer = srv.Issuer()
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv("BROWSER", self+" %s")
	os.Setenv(asBrowser, "1")
	// The examples keep their lock files here, not in the user's cache.
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	return m.Run()
}

// signInAsDemo is the browser: it signs in at address as the sandbox's
// demo account and follows the provider back to the program.
func signInAsDemo(address string) int {
	b := testbrowser.NewBrowser("demo", sandboxserver.Accounts["demo"].Password)
	code, body, err := b.Visit(address)
	if err != nil || code != 200 {
		fmt.Fprintf(os.Stderr, "the browser ended on %d (%v): %s\n", code, err, body)
		return 1
	}
	return 0
}

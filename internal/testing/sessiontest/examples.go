package sessiontest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/latchapp/latch/internal/testing/sandboxprogram"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// asBrowser is set in the environment of a test binary that $BROWSER
// runs as the person's browser (see RunExamples).
const asBrowser = "LATCH_EXAMPLES_BROWSER"

// RunExamples runs a package's tests and examples with what its examples
// need to sign someone in: a provider, Latch's sandbox started as its
// program (see sandboxprogram), whose issuer it puts in *issuer; and a person at a browser,
// this test binary itself, which $BROWSER names: when an example opens
// the sign-in address in "the person's browser", the binary runs again
// with the address, signs in as the sandbox's demo account over HTTP, as
// the person would in their browser, and exits. The examples' code is
// then what a program does, with nothing of the tests in it. Call it from
// TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(sessiontest.RunExamples(m, &issuer)) }
//
// When no example will run (go test -run names none), it starts nothing.
func RunExamples(m *testing.M, issuer *string) int {
	if os.Getenv(asBrowser) != "" && len(os.Args) == 2 {
		return signInAsDemo(os.Args[1])
	}
	flag.Parse()
	if !examplesWillRun() {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "latch-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	defer sandboxprogram.Remove()
	srv, err := sandboxprogram.Run(filepath.Join(dir, "sandbox.json"), 0)
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
	b := testbrowser.NewBrowser(sandboxprogram.DemoUser, sandboxprogram.DemoPassword)
	code, body, err := b.Visit(address)
	if err != nil || code != 200 {
		fmt.Fprintf(os.Stderr, "the browser ended on %d (%v): %s\n", code, err, body)
		return 1
	}
	return 0
}

// examplesWillRun says whether -test.run (and -test.skip) leave an
// example of the package to run: the examples are read from the package's
// test files, in the folder go test runs the binary in.
func examplesWillRun() bool {
	pattern := func(name string) *regexp.Regexp {
		f := flag.Lookup(name)
		if f == nil || f.Value.String() == "" {
			return nil
		}
		// The part before a slash names the top-level test or example.
		re, err := regexp.Compile(strings.SplitN(f.Value.String(), "/", 2)[0])
		if err != nil {
			return nil
		}
		return re
	}
	run, skip := pattern("test.run"), pattern("test.skip")
	if run == nil && skip == nil {
		return true
	}
	files, _ := filepath.Glob("*_test.go")
	example := regexp.MustCompile(`(?m)^func (Example\w*)\(\)`)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return true
		}
		for _, m := range example.FindAllSubmatch(b, -1) {
			name := string(m[1])
			if (run == nil || run.MatchString(name)) && (skip == nil || !skip.MatchString(name)) {
				return true
			}
		}
	}
	return false
}

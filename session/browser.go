package session

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// openBrowser opens u in the person's browser, as gh and kubelogin do:
// each command of $BROWSER in turn (a list separated by ':'; "%s" in a
// command is replaced by the address, which is added at the end
// otherwise) until one runs, then the system's opener: "open" on macOS,
// the URL handler on Windows, "xdg-open" elsewhere. It is what a nil
// [BrowserLogin.OpenURL] does. Only http and https addresses are opened.
// When nothing starts, the error wraps [ErrNoBrowser].
func openBrowser(ctx context.Context, u string) error {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") {
		return errors.New("only http and https addresses are opened in a browser")
	}
	_ = ctx // the browser outlives the sign-in; it is not tied to ctx
	var tried []string
	for _, argv := range browserCommands(os.Getenv("BROWSER"), runtime.GOOS, u) {
		if started(exec.Command(argv[0], argv[1:]...)) {
			return nil
		}
		tried = append(tried, argv[0])
	}
	return fmt.Errorf("%w (tried %s)", ErrNoBrowser, strings.Join(tried, ", "))
}

// browserSettles is how long a browser command is watched after it
// starts: one that fails within it is taken as not run, and the next is
// tried.
const browserSettles = time.Second

// started runs cmd and reports whether it opened a browser: it exits 0,
// or is still running after browserSettles (a browser that stays). One
// that cannot start or fails at once (exits non-zero) did not.
func started(cmd *exec.Cmd) bool {
	if err := cmd.Start(); err != nil {
		return false
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err == nil
	case <-time.After(browserSettles):
		return true // still running; reaped by the goroutine when it ends
	}
}

// browserCommands are the commands openBrowser tries, in order, for the
// value of $BROWSER on the system goos.
func browserCommands(browser, goos, u string) [][]string {
	var cmds [][]string
	for _, c := range strings.Split(browser, ":") {
		words := strings.Fields(c)
		if len(words) == 0 {
			continue
		}
		replaced := false
		for i, w := range words {
			if strings.Contains(w, "%s") {
				words[i] = strings.ReplaceAll(w, "%s", u)
				replaced = true
			}
		}
		if !replaced {
			words = append(words, u)
		}
		cmds = append(cmds, words)
	}
	switch goos {
	case "darwin":
		cmds = append(cmds, []string{"open", u})
	case "windows":
		cmds = append(cmds, []string{"rundll32", "url.dll,FileProtocolHandler", u})
	default:
		cmds = append(cmds, []string{"xdg-open", u})
	}
	return cmds
}

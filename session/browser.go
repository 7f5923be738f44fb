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
)

// openBrowser opens u in the person's browser, as gh and kubelogin do:
// each command of $BROWSER first (a list separated by ':'; "%s" in a
// command is replaced by the address, which is added at the end
// otherwise), then the system's opener: "open" on macOS, the URL handler
// on Windows, "xdg-open" elsewhere. It is what a nil
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
		cmd := exec.Command(argv[0], argv[1:]...)
		if err := cmd.Start(); err != nil {
			tried = append(tried, argv[0])
			continue
		}
		go func() { _ = cmd.Wait() }()
		return nil
	}
	return fmt.Errorf("%w (tried %s)", ErrNoBrowser, strings.Join(tried, ", "))
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

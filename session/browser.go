package session

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"runtime"
)

// OpenBrowser opens u in the person's default browser: with "open" on
// macOS, the URL handler on Windows and "xdg-open" elsewhere. It is the
// usual BrowserLogin.OpenURL. Only http and https URLs are opened.
func OpenBrowser(ctx context.Context, u string) error {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") {
		return errors.New("only http and https addresses are opened in a browser")
	}
	_ = ctx // the browser outlives the sign-in; it is not tied to ctx
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the browser: %w", err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

//go:build linux

package e2e

import (
	"bytes"
	"context"
	"image"
	_ "image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/chromiumtest"
	"github.com/latchapp/latch/internal/testing/keyringtest"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
)

// signedOutApp starts the desktop app on no session, against the
// provider that env names, with $BROWSER recording each address the app
// opens instead of opening it. It returns the app's screen waiter, the
// addresses opened, and the app's X window.
func signedOutApp(t *testing.T, env []string) (func(string, time.Duration) string, <-chan string, string) {
	t.Helper()
	bin := latchBinary(t)
	needDisplay(t, "xdotool", "import")
	dir := t.TempDir()
	opened := filepath.Join(dir, "opened")
	browser := filepath.Join(dir, "browser")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '"+opened+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env = append(env, "BROWSER="+browser)
	waitScreen := startAppLogging(t, bin, env, io.Discard)
	waitScreen("screen=signin", 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	window := latchWindow(ctx, t)
	addresses := make(chan string, 4)
	go func() {
		seen := 0
		for range 600 {
			data, _ := os.ReadFile(opened)
			lines := strings.Fields(string(data))
			for ; seen < len(lines); seen++ {
				addresses <- lines[seen]
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return waitScreen, addresses, window
}

// press gives the window the keyboard and presses keys, as a person at
// it does.
func press(t *testing.T, window string, keys ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	xdotool(ctx, t, "windowfocus", "--sync", window)
	xdotool(ctx, t, append([]string{"key", "--delay", "50"}, keys...)...)
}

// nextAddress waits for the app to open an address in the browser.
func nextAddress(t *testing.T, addresses <-chan string) string {
	t.Helper()
	select {
	case u := <-addresses:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("the app opened no address in the browser within 30 s")
		return ""
	}
}

// TestChromiumSignsTheAppIn: the app's sign-in address, opened in
// Chromium, signs the app in as a person would: Enter in the app, the
// provider's pages filled in and submitted, the redirect into the app's
// loopback listener and its page saying so, then the profile in the app.
// Against the sandbox (through its CSRF and origin checks) and against
// oidc-provider.
func TestChromiumSignsTheAppIn(t *testing.T) {
	for _, c := range []struct {
		name, user, password string
		provider             func(t *testing.T, env []string) []string
	}{
		{"sandbox", "demo", "demo", func(t *testing.T, env []string) []string {
			issuer, _ := startSandbox(t, env, "127.0.0.1:0")
			return append(env, "LATCH_SANDBOX_ADDR="+strings.TrimPrefix(issuer, "http://"))
		}},
		{"oidc-provider", "alice", oidcprovider.Accounts["alice"], func(t *testing.T, env []string) []string {
			op := oidcprovider.Start(t, oidcprovider.Options{})
			return append(env, "LATCH_ISSUER="+op.Issuer, "LATCH_CLIENT_ID="+oidcprovider.ClientID)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			browser := chromiumtest.Start(t)
			env := c.provider(t, home(t))
			waitScreen, addresses, window := signedOutApp(t, env)
			press(t, window, "Return")
			address := nextAddress(t, addresses)
			if !strings.Contains(address, "code_challenge_method=S256") {
				t.Fatalf("the app opened %s; want an authorization request with PKCE", address)
			}
			page := browser.SignIn(t, address, c.user, c.password)
			shot := page.Keep(t, "signed-in.png")
			if !strings.HasPrefix(page.URL, "http://127.0.0.1:") || !strings.Contains(page.Text, "You are signed in.") {
				t.Fatalf("Chromium ended on %s showing %q (screenshot %s); want the app's loopback page saying you are signed in", strings.Split(page.URL, "?")[0], page.Text, shot)
			}
			waitScreen("screen=profile", 30*time.Second)
			signOut(t, env, waitScreen)
		})
	}
}

// TestChromiumSignsInOnAnotherDeviceFromTheQRCode: Ctrl+D in the app
// shows a device code and its QR code; the QR code, read from the app's
// window as a phone's camera would, opened in Chromium, signs the app in.
// The provider is on the network, over https, as a phone needs it: a
// provider on this computer alone gets no QR code (ui's TestDeviceSignIn).
func TestChromiumSignsInOnAnotherDeviceFromTheQRCode(t *testing.T) {
	env := home(t)
	issuer, env, cert := networkSandbox(t, env)
	browser := chromiumtest.Start(t, cert)
	env = append(env, "LATCH_ISSUER="+issuer, "LATCH_CLIENT_ID="+sandboxserver.ClientID)
	waitScreen, _, window := signedOutApp(t, env)
	press(t, window, "ctrl+d")

	var address string
	var picture []byte
	for deadline := time.Now().Add(30 * time.Second); address == "" && time.Now().Before(deadline); {
		if address, picture = readQR(t, window); address == "" {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "app-device-code.png"), picture, 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(address, issuer+"/device?user_code=") {
		t.Fatalf("the QR code in the app's window reads %q; want the provider's device page with the code", address)
	}
	page := browser.SignIn(t, address, "ada", "lovelace")
	shot := page.Keep(t, "device-signed-in.png")
	if !strings.Contains(page.Text, "Your device is signed in.") {
		t.Fatalf("Chromium ended on %s showing %q (screenshot %s); want the device signed in", strings.Split(page.URL, "?")[0], page.Text, shot)
	}
	waitScreen("screen=profile", 30*time.Second)
	signOut(t, env, waitScreen)
}

// signOut signs out with latch logout, leaving the keychain as the test
// found it, and sees the app follow.
func signOut(t *testing.T, env []string, waitScreen func(string, time.Duration) string) {
	t.Helper()
	if code, _, stderr := latch(t, env, "logout"); code != 0 {
		t.Fatalf("latch logout: exit %d, %s; want 0", code, stderr)
	}
	waitScreen("screen=signin", 30*time.Second)
	if n := keyringtest.Items(t, latchapp.KeychainService); n != 0 {
		t.Errorf("%d keychain items of Latch after the sign-out; want none", n)
	}
}

// readQR reads the QR code shown in the X window, if there is one, and
// returns it with the window's picture.
func readQR(t *testing.T, window string) (string, []byte) {
	t.Helper()
	out, err := exec.Command("import", "-window", window, "png:-").Output()
	if err != nil {
		t.Fatalf("taking the window's picture: %v", err)
	}
	img, _, err := image.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("reading the window's picture: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", out
	}
	return res.GetText(), out
}

// TestChromiumSignOutAtTheProvider: in Chromium, which keeps the
// sandbox's browser session as a person's browser keeps Auth0's, a
// sign-out with `latch logout` alone lets the next sign-in through
// without the form (the same person), and `latch logout --provider` ends
// that session: its address, opened in Chromium, asks, signs out, and
// comes back to Latch's page; the next sign-in shows the form.
func TestChromiumSignOutAtTheProvider(t *testing.T) {
	browser := chromiumtest.Start(t)
	env := home(t)
	issuer, _ := startSandbox(t, env, "127.0.0.1:0")
	env = append(env, "LATCH_SANDBOX_ADDR="+strings.TrimPrefix(issuer, "http://"))
	t.Cleanup(func() { latch(t, env, "logout") })
	// login starts `latch login --no-browser` and returns the address it
	// prints and a wait for its end.
	login := func() (string, func()) {
		t.Helper()
		p := startLatch(t, env, "login", "--no-browser")
		if !p.lines.Scan() {
			t.Fatalf("latch login printed no address: %s", p.stderr.String())
		}
		return p.lines.Text(), func() {
			t.Helper()
			if err := p.cmd.Wait(); err != nil {
				t.Fatalf("latch login: %v: %s", err, p.stderr.String())
			}
		}
	}
	address, done := login()
	if page := browser.SignIn(t, address, "demo", "demo"); !strings.Contains(page.Text, "You are signed in.") {
		t.Fatalf("the first sign-in ended on %q", page.Text)
	}
	done()

	if code, _, errOut := latch(t, env, "logout"); code != 0 {
		t.Fatalf("latch logout: %s", errOut)
	}
	address, done = login()
	if page := browser.Open(t, address); !strings.Contains(page.Text, "You are signed in.") {
		t.Fatalf("after latch logout alone the sign-in address showed %q (screenshot %s); want the provider to sign the same person in, with no form", page.Text, page.Keep(t, "after-logout.png"))
	}
	done()

	p := startLatch(t, env, "logout", "--provider", "--no-browser")
	if !p.lines.Scan() {
		t.Fatalf("latch logout --provider printed no address: %s", p.stderr.String())
	}
	page := browser.SignIn(t, p.lines.Text(), "", "")
	if !strings.Contains(page.Text, "You are signed out at the provider too") {
		t.Fatalf("the provider's sign-out ended on %q (screenshot %s)", page.Text, page.Keep(t, "provider-sign-out.png"))
	}
	if err := p.cmd.Wait(); err != nil || !strings.Contains(p.stderr.String(), "Signed out, here and at the provider.") {
		t.Fatalf("latch logout --provider: %v: %s", err, p.stderr.String())
	}

	address, done = login()
	page = browser.Open(t, address)
	if !strings.Contains(page.Text, "Sign in to continue") {
		t.Fatalf("after signing out at the provider the sign-in address showed %q (screenshot %s); want the sign-in form", page.Text, page.Keep(t, "after-provider-sign-out.png"))
	}
	page.Keep(t, "sign-in-form-again.png")
	if page := browser.SignIn(t, address, "ada", "lovelace"); !strings.Contains(page.Text, "You are signed in.") {
		t.Fatalf("signing in as someone else ended on %q", page.Text)
	}
	done()
	if _, out, _ := latch(t, env, "status"); !strings.Contains(out, "sandbox|ada") {
		t.Fatalf("status after signing in as ada:\n%s", out)
	}
}

// Package chromiumtest drives a real browser, Debian's Chromium, through
// chromedp as a person would: it opens an address, types into sign-in
// forms, presses their buttons, and keeps a screenshot of where it ended.
// Tests use it where an HTTP client would skip what a browser does: the
// provider's scripts and redirects, cookies, the sandbox's CSRF and
// origin checks, and the page the loopback listener shows at the end.
package chromiumtest

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchapp/latch/internal/testing/peers"
)

// Browser is one Chromium, with a profile of its own, until the test ends.
type Browser struct {
	ctx context.Context
}

// Start starts Chromium, headless, for the test. It trusts the
// certificates in trust (a test's own provider's) besides the system's.
func Start(t testing.TB, trust ...*x509.Certificate) *Browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		peers.Missing(t, "Chromium (Debian's chromium)", err.Error())
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(900, 900),
	)
	if len(trust) > 0 {
		// Chromium takes a certificate it is told of by the hash of its
		// public key, and none other.
		var pins []string
		for _, c := range trust {
			sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
			pins = append(pins, base64.StdEncoding.EncodeToString(sum[:]))
		}
		opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(pins, ",")))
	}
	if os.Geteuid() == 0 {
		// Chromium's own sandbox cannot run as root (CI runs as root).
		opts = append(opts, chromedp.NoSandbox)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return &Browser{ctx: ctx}
}

// Page is where a visit ended.
type Page struct {
	// URL is the page's address.
	URL string
	// Text is what the page shows (document.body.innerText).
	Text string
	// Screenshot is a PNG of the whole page.
	Screenshot []byte
}

// formScript describes the page's first form that posts: which sign-in
// fields it has, and whether it has a button to press.
const formScript = `(() => {
	const f = [...document.forms].find(f => f.method.toLowerCase() === 'post');
	if (!f) return {form: false};
	const has = n => !!f.querySelector('input[name="' + n + '"]');
	return {form: true, username: has('username'), login: has('login'), password: has('password'),
		button: !!f.querySelector('button[type=submit]:not([name=abort]), input[type=submit]:not([name=abort])')};
})()`

type formInfo struct {
	Form     bool `json:"form"`
	Username bool `json:"username"`
	Login    bool `json:"login"`
	Password bool `json:"password"`
	Button   bool `json:"button"`
}

// SignIn opens u and goes through the forms it meets as a person does:
// it types user and password where a form asks for them and presses the
// form's button, until a page has no form to post (at most ten). It
// returns that last page.
func (b *Browser) SignIn(t testing.TB, u, user, password string) Page {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("Chromium opening %s: %v", withoutQuery(u), err)
	}
	for step := range 10 {
		f, err := chromedp.Run(ctx, chromedp.Evaluate[formInfo](formScript))
		if err != nil {
			t.Fatalf("Chromium reading the page: %v", err)
		}
		if !f.Form || !f.Button {
			return b.page(t, ctx)
		}
		const form = `form[method=post i] `
		var steps []chromedp.Action[chromedp.Void]
		if f.Username {
			steps = append(steps, chromedp.SendKeys(chromedp.CSS(form+`input[name=username]`), user, chromedp.NodeVisible))
		}
		if f.Login {
			steps = append(steps, chromedp.SendKeys(chromedp.CSS(form+`input[name=login]`), user, chromedp.NodeVisible))
		}
		if f.Password {
			steps = append(steps, chromedp.SendKeys(chromedp.CSS(form+`input[name=password]`), password, chromedp.NodeVisible))
		}
		err = chromedp.Do(ctx, steps...)
		if err == nil {
			// A mark on this page tells when the next one has loaded.
			_, err = chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("window.__latchStep = %d", step)))
		}
		if err == nil {
			err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(form+`button[type=submit]:not([name=abort]), `+form+`input[type=submit]:not([name=abort])`), chromedp.NodeVisible))
		}
		if err == nil {
			err = loaded(ctx)
		}
		if err != nil {
			page := b.page(t, ctx)
			t.Fatalf("Chromium on %s (%q): %v", withoutQuery(page.URL), page.Text, err)
		}
	}
	t.Fatalf("Chromium met more than ten forms from %s", withoutQuery(u))
	return Page{}
}

// Open opens u and returns the page it ends on, after any redirects,
// without filling in or submitting anything: what a person sees first.
func (b *Browser) Open(t testing.TB, u string) Page {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("Chromium opening %s: %v", withoutQuery(u), err)
	}
	if err := loaded(ctx); err != nil {
		t.Fatalf("Chromium opening %s: %v", withoutQuery(u), err)
	}
	return b.page(t, ctx)
}

// loaded waits for the page after the marked one to be loaded. Asking
// while the browser navigates fails; it asks again.
func loaded(ctx context.Context) error {
	for {
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.__latchStep === 'undefined' && document.readyState === 'complete'`))
		if err == nil && done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the next page did not load: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// withoutQuery is u without its query, which may hold a one-time code.
func withoutQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}

// page reads the page Chromium shows.
func (b *Browser) page(t testing.TB, ctx context.Context) Page {
	t.Helper()
	var p Page
	var err error
	if p.URL, err = chromedp.Run(ctx, chromedp.Location()); err == nil {
		if p.Text, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
			p.Screenshot, err = chromedp.Run(ctx, chromedp.FullScreenshot(90))
		}
	}
	if err != nil {
		t.Fatalf("Chromium reading the page: %v", err)
	}
	return p
}

// Keep writes the page's screenshot to name in the test's artifact
// directory (kept with go test -artifacts) and returns its path.
func (p Page) Keep(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, p.Screenshot, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

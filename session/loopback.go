package session

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
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

// callbackResult is what the loopback listener received.
type callbackResult struct {
	code string
	err  error
	// reply receives the outcome of the sign-in, to show in the browser.
	reply chan error
}

// loopback is the one-shot redirect listener of a browser sign-in (RFC
// 8252): on 127.0.0.1, a random port, the path /callback only, unless
// [Config.RedirectURL] names the address.
type loopback struct {
	server
	results  chan callbackResult
	redirect string
}

// listenLoopback starts the listener for a sign-in with this state, whose
// answers come from issuer, at redirect ([Config.RedirectURL]; empty: a
// random port and /callback). page words the browser's last page.
func listenLoopback(state, issuer, redirect string, page pageTexts) (*loopback, error) {
	network, addr, path := "tcp4", "127.0.0.1:0", "/callback"
	if redirect != "" {
		u, _ := url.Parse(redirect) // checked by Config
		network, addr, path = "tcp", u.Host, u.Path
		if u.Hostname() == "localhost" {
			network, addr = "tcp4", net.JoinHostPort("127.0.0.1", u.Port())
		}
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoLoopback, err)
	}
	l := &loopback{
		results:  make(chan callbackResult, 1),
		redirect: redirect,
	}
	if redirect == "" {
		l.redirect = "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + path
	}
	mux := http.NewServeMux()
	mux.Handle(path, &callbackHandler{state: state, issuer: issuer, page: page, results: l.results})
	l.server = serveLoopback(ln, mux)
	return l, nil
}

// callbackHandler answers the loopback redirect: only the request with
// this sign-in's state is the answer, once.
type callbackHandler struct {
	state, issuer string
	page          pageTexts
	results       chan<- callbackResult
	once          sync.Once
}

func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(h.state)) != 1 {
		// Not the answer to this sign-in: another program, or a page
		// that guessed the port. It is refused, and the sign-in goes
		// on waiting for its own answer.
		writePage(w, http.StatusBadRequest, h.page.foreign())
		return
	}
	first := false
	h.once.Do(func() { first = true })
	if !first {
		writePage(w, http.StatusGone, h.page.used())
		return
	}
	res := callbackResult{reply: make(chan error, 1)}
	switch {
	case !fromThisUser(r):
		// The address of the sign-in is not a secret from the other users
		// of this computer (a browser's command line shows it): one of
		// them who completed it with their own account would sign this
		// person in as them. The sign-in ends, visibly, with nobody
		// signed in; the code is not exchanged.
		res.err = fmt.Errorf("%w: the answer came from another user's browser on this computer; nobody was signed in", ErrUnverified)
		h.results <- res
		writePage(w, http.StatusForbidden, h.page.otherUser())
		return
	case q.Get("error") != "":
		res.err = &ProviderError{Op: "sign-in", Code: q.Get("error"), Description: q.Get("error_description")}
	case q.Has("iss") && q.Get("iss") != h.issuer:
		res.err = fmt.Errorf("%w: the answer comes from another issuer", ErrUnverified)
	case q.Get("code") == "":
		res.err = fmt.Errorf("%w: no authorization code", ErrUnverified)
	default:
		res.code = q.Get("code")
	}
	h.results <- res
	var outcome error
	select {
	case outcome = <-res.reply:
	case <-r.Context().Done():
		return
	}
	if outcome != nil {
		writePage(w, http.StatusBadRequest, h.page.failed())
		return
	}
	writePage(w, http.StatusOK, h.page.done())
}

// fromThisUser reports whether r comes from a program of the user this
// program runs as, where the platform tells (Linux); elsewhere, any local
// program's request is taken.
func fromThisUser(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return true
	}
	uid, known := peerUID(r.RemoteAddr, local.String())
	return !known || uid == ownUID()
}

// server is a loopback listener's HTTP server: mux's paths, any other
// not found.
type server struct{ srv *http.Server }

// serveLoopback serves mux on ln, in the background, until close.
func serveLoopback(ln net.Listener, mux *http.ServeMux) server {
	mux.HandleFunc("/", http.NotFound)
	s := server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

// close stops the listener, letting the last page be written.
func (s server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// pageTexts words the pages the loopback listener shows in the browser.
// They say how the sign-in ended and send the person back to the
// application, which says why.
type pageTexts struct {
	// app names the application; empty means "the application".
	app string
}

// page is one page: a title and a sentence.
type page struct{ title, text string }

func (p pageTexts) name() string {
	if p.app == "" {
		return "the application"
	}
	return p.app
}

func (p pageTexts) done() page {
	return page{"Signed in", "You are signed in. You can close this window and return to " + p.name() + "."}
}

func (p pageTexts) failed() page {
	return page{"Sign-in failed", "The sign-in did not complete. Return to " + p.name() + " to see why and to try again."}
}

func (p pageTexts) foreign() page {
	return page{"Not this sign-in", "This answer does not belong to the sign-in in progress, so it was ignored. You can close this window."}
}

func (p pageTexts) used() page {
	return page{"Sign-in already handled", "This sign-in link was already used. You can close this window."}
}

func (p pageTexts) otherUser() page {
	return page{"Not your sign-in", "This sign-in was started by another user of this computer, so it was refused and nobody was signed in. You can close this window."}
}

func (p pageTexts) signedOut() page {
	return page{"Signed out", "You are signed out at the provider too. You can close this window and return to " + p.name() + "."}
}

// writePage writes p as a small page that loads nothing else.
func writePage(w http.ResponseWriter, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	title := html.EscapeString(p.title)
	fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title>
<style>body{font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em;color:#222}h1{font-weight:500}</style>
</head><body><h1>%s</h1><p>%s</p></body></html>
`, title, title, html.EscapeString(p.text))
}

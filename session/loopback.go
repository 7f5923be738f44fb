package session

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

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

package session

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
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
// 8252): on 127.0.0.1, a random port, the path /callback only.
type loopback struct {
	ln       net.Listener
	srv      *http.Server
	results  chan callbackResult
	redirect string
}

// listenLoopback starts the listener for a sign-in with this state, whose
// answers come from issuer. page words the browser's last page.
func listenLoopback(state, issuer string, page pageTexts) (*loopback, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sign-in: loopback listener: %w", err)
	}
	l := &loopback{
		ln:       ln,
		results:  make(chan callbackResult, 1),
		redirect: "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "/callback",
	}
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
			// Not the answer to this sign-in: another program, or a page
			// that guessed the port. It is refused, and the sign-in goes
			// on waiting for its own answer.
			writePage(w, http.StatusBadRequest, page.foreign())
			return
		}
		first := false
		once.Do(func() { first = true })
		if !first {
			writePage(w, http.StatusGone, page.used())
			return
		}
		res := callbackResult{reply: make(chan error, 1)}
		switch {
		case q.Get("error") != "":
			res.err = &ProviderError{Op: "sign-in", Code: q.Get("error"), Description: q.Get("error_description")}
		case q.Has("iss") && q.Get("iss") != issuer:
			res.err = fmt.Errorf("%w: the answer comes from another issuer", ErrInvalidCallback)
		case q.Get("code") == "":
			res.err = fmt.Errorf("%w: no authorization code", ErrInvalidCallback)
		default:
			res.code = q.Get("code")
		}
		l.results <- res
		var outcome error
		select {
		case outcome = <-res.reply:
		case <-r.Context().Done():
			return
		}
		if outcome != nil {
			writePage(w, http.StatusBadRequest, page.failed())
			return
		}
		writePage(w, http.StatusOK, page.done())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	l.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	return l, nil
}

// close stops the listener, letting the last page be written.
func (l *loopback) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = l.srv.Shutdown(ctx)
}

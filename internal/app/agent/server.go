package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
)

// DefaultIdle is how long a headless agent waits for a request before it
// exits.
const DefaultIdle = 30 * time.Minute

// Server is the agent: it holds a session for each configuration it is
// asked about and answers the person's requests on its socket. The zero
// value is not usable: give Open.
type Server struct {
	// Open opens an account's session for cfg: latchapp.Open with the
	// agent's options, renewing in the background.
	Open func(ctx context.Context, cfg latchapp.Config) (*latchapp.Account, error)
	// App says the agent is the desktop app, for status.
	App bool
	// Idle is how long the agent waits for a request before it exits; 0
	// means never.
	Idle time.Duration
	// Log receives diagnostics; never tokens. Nil discards them.
	Log *slog.Logger
	// Desk is where the questions for the person and the recent uses
	// go: the app shows it. Nil keeps the uses in one of the server's own.
	Desk *Desk
	// Accounts, when set, are the person's accounts, whose config file
	// says which tokens need confirming (see [latchapp.Accounts.Confirms])
	// whatever the request's configuration says, and for how long a
	// program may be allowed (see [latchapp.Accounts.ConfirmFor]).
	Accounts *latchapp.Accounts

	mu       sync.Mutex
	accounts map[string]*served
	last     time.Time // the last request's arrival
	busy     int       // requests being answered
	stop     context.CancelFunc
	socket   string
	// ctx lives as long as the agent serves: the sessions' own.
	ctx context.Context
}

// errAppStops is the desktop app's answer to a stop request.
var errAppStops = errors.New("the agent is the desktop app: quit the app to stop it")

// Serve answers requests on l until ctx ends, a stop request comes, or
// the agent has been idle for [Server.Idle]; then it closes the sessions
// it holds (they stay stored) and l.
func (s *Server) Serve(ctx context.Context, l *Listener) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	s.mu.Lock()
	s.accounts, s.last, s.stop, s.socket, s.ctx = map[string]*served{}, time.Now(), stop, l.path, ctx
	s.mu.Unlock()
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	if s.Idle > 0 {
		go s.exitWhenIdle(ctx)
	}
	var wg sync.WaitGroup
	var failed error
	for ctx.Err() == nil {
		c, err := l.ln.Accept()
		switch {
		case ctx.Err() != nil:
			if err == nil {
				c.Close() // came as the agent stops
			}
		case errors.Is(err, net.ErrClosed):
			failed = err
			stop()
		case err != nil:
			// One connection that failed (a client that left at once,
			// which Windows' pipes report here): the next is served.
			s.log().Debug("a connection failed", "error", err)
			time.Sleep(10 * time.Millisecond)
		default:
			if err := clientIsThePerson(c); err != nil {
				s.log().Warn("refused a connection that is not the person's", "reason", err)
				c.Close()
				continue
			}
			wg.Go(func() { s.serveConn(ctx, c, peerProgram(c)) })
		}
	}
	wg.Wait()
	s.closeAll()
	return failed
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// exitWhenIdle stops the agent once no request came for s.Idle.
func (s *Server) exitWhenIdle(ctx context.Context) {
	t := time.NewTimer(s.Idle)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		left := s.Idle - time.Since(s.last)
		idle := s.busy == 0 && left <= 0
		s.mu.Unlock()
		if idle {
			s.log().Info("no request for a while: the agent exits", "idle", s.Idle)
			s.stop()
			return
		}
		t.Reset(max(left, time.Second))
	}
}

// serveConn answers the one request c, from prog, carries.
func (s *Server) serveConn(ctx context.Context, c net.Conn, prog Program) {
	defer c.Close()
	s.mu.Lock()
	s.last, s.busy = time.Now(), s.busy+1
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.last, s.busy = time.Now(), s.busy-1
		s.mu.Unlock()
	}()
	// A request comes at once; the answer may take as long as the
	// provider and the keychain do, up to the client's own deadline: the
	// connection's end tells the agent it stopped waiting.
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(io.LimitReader(c, maxRequest)).ReadBytes('\n')
	if err != nil {
		s.log().Debug("a request could not be read", "error", err)
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	var req request
	if err := decode(line, &req); err != nil {
		s.log().Warn("a request could not be read", "error", err)
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		// The client closes its end when it gives up.
		_, _ = c.Read(make([]byte, 1))
		cancel()
	}()
	w := &answerer{enc: json.NewEncoder(c)}
	resp := s.answer(ctx, &req, prog, w)
	resp.Version, resp.App = latchapp.Version(), s.App
	_ = w.send(resp)
	if resp.StepAside || req.Op == opStop && resp.Error == nil {
		s.stop()
	}
}

// answerer writes the lines of one answer, from any goroutine.
type answerer struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (w *answerer) send(r *response) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.enc.Encode(r)
}

// answer runs req, from prog.
func (s *Server) answer(ctx context.Context, req *request, prog Program, w *answerer) *response {
	if req.Version != latchapp.Version() && !s.App && req.Op != opStatus && req.Op != opStop {
		// A headless agent of another version makes way for the client's.
		s.log().Info("a client of another version asks: this agent steps aside", "client", req.Version, "agent", latchapp.Version())
		return &response{StepAside: true}
	}
	switch req.Op {
	case opStatus:
		return &response{Status: s.status()}
	case opStop:
		if s.App {
			return &response{Error: toWire(errAppStops)}
		}
		return &response{}
	case opForget:
		s.closeAll()
		return &response{}
	case opLog:
		return &response{Uses: s.desk().Uses("")}
	case opToken, opHeader, opReport, opTokens, opMetadata:
		if req.Config == nil {
			return &response{Error: toWire(&latchapp.ConfigError{Msg: "the request names no account"})}
		}
		a, err := s.account(*req.Config)
		if err != nil {
			return &response{Error: toWire(err)}
		}
		defer s.release(a)
		done := a.follow(func(keeper string) { _ = w.send(&response{Asking: keeper}) })
		defer done()
		var outcome string
		if req.Op == opToken || req.Op == opHeader {
			if outcome, err = s.confirm(ctx, a.account, req, prog, w); outcome != "" && err != nil {
				s.record(a.account.Config, req, prog, outcome)
			}
			if err != nil {
				return &response{Error: toWire(err)}
			}
		}
		resp, err := s.forAccount(ctx, a.account, req)
		if err != nil {
			return &response{Error: toWire(err)}
		}
		if outcome != "" {
			s.record(a.account.Config, req, prog, outcome)
		}
		return resp
	}
	return &response{Error: toWire(errUnknownOp)}
}

// forAccount answers a request about the session of a.
func (s *Server) forAccount(ctx context.Context, a *latchapp.Account, req *request) (*response, error) {
	switch req.Op {
	case opHeader:
		h, err := a.Header(ctx, req.Name, req.Method, req.URL)
		return &response{Header: h}, err
	case opReport:
		rep, signedIn, err := a.Report(ctx)
		return &response{Report: &rep, SignedIn: signedIn}, err
	case opTokens:
		list, err := a.Manager.Tokens(ctx)
		return &response{Tokens: list}, err
	case opMetadata:
		md, err := a.UserMetadata(ctx, req.Changes)
		return &response{Metadata: md}, err
	}
	t, err := a.Token(ctx, req.Token)
	return &response{Token: &t}, err
}

package agent

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/latchapp/latch/base/filelock"
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

	mu       sync.Mutex
	accounts map[string]*served
	last     time.Time // the last request's arrival
	busy     int       // requests being answered
	stop     context.CancelFunc
	socket   string
	// ctx lives as long as the agent serves: the sessions' own.
	ctx context.Context
}

// maxAccounts bounds the sessions an agent holds: one for each
// configuration asked about (an account, or one with an API given on the
// command line); past it, the one asked about longest ago is let go.
const maxAccounts = 16

// served is one configuration's session, opened once and kept.
type served struct {
	account *latchapp.Account
	// used is when it was last asked about, busy how many requests use
	// it, and gone says it was let go (see letGoLocked); under the
	// Server's mu.
	used time.Time
	busy int
	gone bool
	// waiting are told when the keychain asks the person, while they
	// wait for this session.
	mu      sync.Mutex
	waiting map[chan<- string]struct{}
}

// errAppStops is the desktop app's answer to a stop request.
var errAppStops = errors.New("the agent is the desktop app: quit the app to stop it")

// ErrRunning means another agent of the person's already serves.
var ErrRunning = errors.New("an agent is running already")

// Listener is the agent's socket, held by one agent a person.
type Listener struct {
	ln   net.Listener
	lock *filelock.Lock
	path string
}

// Listen takes the agent's place in dir (see [Dir]): the folder is made
// private, the agent's lock taken (else [ErrRunning]), and the socket
// made, readable and writable by the person alone.
func Listen(ctx context.Context, dir string) (*Listener, error) {
	if !supported {
		return nil, errUnsupported
	}
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	// An agent that steps aside frees its place a moment after it stops
	// listening.
	try, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	lock, err := filelock.Acquire(try, dir+string(os.PathSeparator)+lockName, nil)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, ErrRunning
	}
	if err != nil {
		return nil, err
	}
	path := SocketPath(dir)
	ln, err := listen(path)
	if err != nil {
		lock.Release()
		return nil, fmt.Errorf("the agent cannot listen at %s: %w", path, err)
	}
	return &Listener{ln: ln, lock: lock, path: path}, nil
}

// Close stops listening, removes the socket and frees the agent's place.
func (l *Listener) Close() {
	l.ln.Close()
	l.lock.Release()
}

// Path is the socket's path.
func (l *Listener) Path() string { return l.path }

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
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, net.ErrClosed) {
				stop()
				wg.Wait()
				s.closeAll()
				return err
			}
			// One connection that failed (a client that left at once,
			// which Windows' pipes report here): the next is served.
			s.log().Debug("a connection failed", "error", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if err := clientIsThePerson(c); err != nil {
			s.log().Warn("refused a connection that is not the person's", "reason", err)
			c.Close()
			continue
		}
		wg.Go(func() { s.serveConn(ctx, c) })
	}
	wg.Wait()
	s.closeAll()
	return nil
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

// closeAll lets the sessions held go: when the agent ends, and after a
// client changed a session (see [Client.Forget]), so that the next
// request reads the keychain afresh. A session is closed once the
// requests on it are answered.
func (s *Server) closeAll() {
	s.mu.Lock()
	accounts := s.accounts
	s.accounts = map[string]*served{}
	var idle []*served
	for _, a := range accounts {
		if s.letGoLocked(a) {
			idle = append(idle, a)
		}
	}
	s.mu.Unlock()
	for _, a := range idle {
		a.account.Close()
	}
}

// letGoLocked marks a let go, to be closed once no request uses it;
// s.mu is held. It reports whether no request uses it now: the caller
// closes it.
func (s *Server) letGoLocked(a *served) (closeNow bool) {
	a.gone = true
	return a.busy == 0
}

// release ends a request's use of a, closing it when it was let go.
func (s *Server) release(a *served) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.busy--
	if a.gone && a.busy == 0 {
		go a.account.Close()
	}
}

// serveConn answers the one request c carries.
func (s *Server) serveConn(ctx context.Context, c net.Conn) {
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
	resp := s.answer(ctx, &req, w)
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

// answer runs req.
func (s *Server) answer(ctx context.Context, req *request, w *answerer) *response {
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
		resp, err := s.forAccount(ctx, a.account, req)
		if err != nil {
			return &response{Error: toWire(err)}
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

// key is the identity of a configuration: its whole JSON.
func key(cfg latchapp.Config) string {
	b, _ := json.Marshal(cfg)
	return string(b)
}

// account returns the session held for cfg, opening it the first time,
// for one request: release it when answered.
func (s *Server) account(cfg latchapp.Config) (*served, error) {
	k := key(cfg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[k]; a != nil {
		a.used, a.busy = time.Now(), a.busy+1
		return a, nil
	}
	if len(s.accounts) >= maxAccounts {
		oldest := ""
		for k, a := range s.accounts {
			if oldest == "" || a.used.Before(s.accounts[oldest].used) {
				oldest = k
			}
		}
		if a := s.accounts[oldest]; s.letGoLocked(a) {
			go a.account.Close()
		}
		delete(s.accounts, oldest)
	}
	account, err := s.Open(s.ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &served{account: account, used: time.Now(), busy: 1, waiting: map[chan<- string]struct{}{}}
	account.FollowKeychain(a.asking)
	s.accounts[k] = a
	s.log().Info("holding a session", "account", cfg.Account, "issuer", cfg.Issuer)
	return a, nil
}

// follow has note told when the keychain asks the person, until done is
// called.
func (a *served) follow(note func(keeper string)) (done func()) {
	ch := make(chan string, 1)
	a.mu.Lock()
	a.waiting[ch] = struct{}{}
	a.mu.Unlock()
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case keeper := <-ch:
				note(keeper)
			case <-stop:
				return
			}
		}
	}()
	return func() {
		a.mu.Lock()
		delete(a.waiting, ch)
		a.mu.Unlock()
		close(stop)
		<-finished
	}
}

// asking tells those who wait that the keychain asks the person.
func (a *served) asking(keeper string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for ch := range a.waiting {
		select {
		case ch <- keeper:
		default:
		}
	}
}

// status says what the agent holds.
func (s *Server) status() *Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &Status{Socket: s.socket, PID: os.Getpid(), Version: latchapp.Version(), App: s.App, Accounts: []AccountStatus{}}
	for _, a := range s.accounts {
		e := a.account.Manager.State()
		st.Accounts = append(st.Accounts, AccountStatus{
			Account: a.account.Config.Account, Issuer: a.account.Config.Issuer, State: e.State.String(), Expiry: e.Expiry,
		})
	}
	slices.SortFunc(st.Accounts, func(a, b AccountStatus) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Issuer, b.Issuer))
	})
	return st
}

// Status is what a running agent says of itself.
type Status struct {
	Socket   string          `json:"socket"`
	PID      int             `json:"pid"`
	Version  string          `json:"version"`
	App      bool            `json:"app"`
	Accounts []AccountStatus `json:"accounts"`
}

// AccountStatus is one session the agent holds.
type AccountStatus struct {
	Account string    `json:"account"`
	Issuer  string    `json:"issuer"`
	State   string    `json:"state"`
	Expiry  time.Time `json:"expiry,omitzero"`
}

package agent

import (
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
)

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
	waiting map[*waiter]struct{}
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
	a := &served{account: account, used: time.Now(), busy: 1, waiting: map[*waiter]struct{}{}}
	account.FollowKeychain(a.asking)
	s.accounts[k] = a
	s.log().Info("holding a session", "account", cfg.Account, "issuer", cfg.Issuer)
	return a, nil
}

// follow has note told when the keychain asks the person, until done is
// called.
func (a *served) follow(note func(keeper string)) (done func()) {
	w := &waiter{note: note}
	a.mu.Lock()
	a.waiting[w] = struct{}{}
	a.mu.Unlock()
	return func() {
		a.mu.Lock()
		delete(a.waiting, w)
		a.mu.Unlock()
	}
}

// waiter is a request that waits for a session, told when the keychain
// asks the person.
type waiter struct{ note func(keeper string) }

// asking tells those who wait that the keychain asks the person.
func (a *served) asking(keeper string) {
	a.mu.Lock()
	waiting := slices.Collect(maps.Keys(a.waiting))
	a.mu.Unlock()
	for _, w := range waiting {
		w.note(keeper)
	}
}

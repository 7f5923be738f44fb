package agent

import (
	"cmp"
	"os"
	"slices"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
)

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

package agent

import (
	"context"

	"github.com/latchapp/latch/internal/app/latchapp"
)

// confirm decides whether the token req asks for may leave for prog: at
// once when the configuration does not mark it confirm = true (the
// request's, or the person's config file's for the same session), else
// when the program was allowed for a while, else once the person allows
// it in the desktop app, whom the client is told it waits for. A headless
// agent has no one to ask, and refuses. The outcome is what the use is
// recorded as; an error with it is the answer to the request.
func (s *Server) confirm(ctx context.Context, a *latchapp.Account, req *request, prog Program, w *answerer) (outcome string, err error) {
	needs, err := a.Confirms(ctx, namedToken(req), s.Accounts)
	if err != nil {
		return "", err
	}
	if !needs {
		return OutcomeAutomatic, nil
	}
	if !s.App {
		return OutcomeRefused, latchapp.ErrNeedsApp
	}
	d := s.desk()
	q := Question{
		Program: prog, Account: a.Config.AccountName(), Issuer: a.Config.Issuer, ClientID: a.Config.ClientID,
		Token: useToken(req), AllowFor: latchapp.DefaultConfirmFor, Asked: d.now(),
	}
	if s.Accounts != nil {
		q.AllowFor = s.Accounts.ConfirmFor()
	}
	if d.Allowed(q) {
		return OutcomeAutomatic, nil
	}
	_ = w.send(&response{Confirming: true})
	answer, err := d.Ask(ctx, q)
	switch {
	case err != nil:
		return "", err // the program stopped waiting: nothing left
	case answer == Deny:
		return OutcomeDenied, latchapp.ErrDenied
	}
	return OutcomeAllowed, nil
}

// namedToken is the named token req asks for; empty for the account's
// own.
func namedToken(req *request) string {
	if req.Op == opToken {
		return req.Token.Name
	}
	return req.Name
}

// useToken names the token req asks for, as a use records it.
func useToken(req *request) string {
	switch {
	case namedToken(req) != "":
		return namedToken(req)
	case req.Op == opToken && req.Token.IDToken:
		return latchapp.OwnIDToken
	}
	return latchapp.OwnAccessToken
}

// record keeps the use of the token req asked for, by prog, for account.
func (s *Server) record(cfg latchapp.Config, req *request, prog Program, outcome string) {
	s.desk().Record(Use{Account: cfg.AccountName(), Issuer: cfg.Issuer, Program: prog, Token: useToken(req), Outcome: outcome})
}

// desk is the server's Desk: its own when it was given none.
func (s *Server) desk() *Desk {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Desk == nil {
		s.Desk = &Desk{}
	}
	return s.Desk
}

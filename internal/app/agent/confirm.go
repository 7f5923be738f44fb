package agent

import (
	"cmp"
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
	name := req.Name
	if req.Op == opToken {
		name = req.Token.Name
	}
	var audience string
	if name != "" {
		if audience, err = a.KnownAPI(ctx, name); err != nil {
			return "", err
		}
	}
	needs := a.Config.Confirms(name, audience)
	if !needs && s.Accounts != nil {
		if needs, err = s.Accounts.Confirms(a.Config, name, audience); err != nil {
			return "", err
		}
	}
	if !needs {
		return OutcomeAutomatic, nil
	}
	if !s.App {
		return OutcomeRefused, latchapp.ErrNeedsApp
	}
	d := s.desk()
	q := Question{
		Program: prog, Account: cmp.Or(a.Config.Account, latchapp.DefaultAccount), Issuer: a.Config.Issuer, ClientID: a.Config.ClientID,
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

// useToken names the token req asks for, as a use records it.
func useToken(req *request) string {
	switch {
	case req.Op == opHeader && req.Name != "":
		return req.Name
	case req.Op == opToken && req.Token.Name != "":
		return req.Token.Name
	case req.Op == opToken && req.Token.IDToken:
		return "ID token"
	}
	return "access token"
}

// record keeps the use of the token req asked for, by prog, for account.
func (s *Server) record(cfg latchapp.Config, req *request, prog Program, outcome string) {
	s.desk().Record(Use{Account: cmp.Or(cfg.Account, latchapp.DefaultAccount), Issuer: cfg.Issuer, Program: prog, Token: useToken(req), Outcome: outcome})
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

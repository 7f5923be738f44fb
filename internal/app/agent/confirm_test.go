//go:build linux || darwin

package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
)

// confirmed is testConfig with its own tokens marked confirm = true.
func confirmed() latchapp.Config {
	cfg := testConfig
	cfg.Confirm = true
	return cfg
}

// pendingSoon waits for a question on desk.
func pendingSoon(t *testing.T, desk *Desk) Question {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if qs := desk.Pending(); len(qs) > 0 {
			return qs[0]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no question reached the desk within 10 s")
	return Question{}
}

func TestAHeadlessAgentRefusesATokenToConfirm(t *testing.T) {
	desk := &Desk{}
	c, _ := serveWith(t, func(s *Server) { s.Desk = desk })
	_, err := c.Token(context.Background(), confirmed(), latchapp.TokenRequest{})
	if !errors.Is(err, latchapp.ErrNeedsApp) {
		t.Fatalf("a confirm = true token from a headless agent: %v; want latchapp.ErrNeedsApp", err)
	}
	// An unmarked token goes past the question (nobody is signed in).
	if _, err := c.Token(context.Background(), testConfig, latchapp.TokenRequest{}); !errors.Is(err, session.ErrNoCredentials) {
		t.Fatalf("an unmarked token: %v; want session.ErrNoCredentials", err)
	}
	uses := desk.Uses("default")
	if len(uses) != 1 || uses[0].Outcome != OutcomeRefused || uses[0].Token != "access token" {
		t.Fatalf("uses %+v; want the refusal alone (a token not handed out is no use)", uses)
	}
	if runtime.GOOS == "linux" {
		exe, _ := os.Executable()
		if p := uses[0].Program; p.PID != os.Getpid() || p.Path != exe || p.RunBy == nil || p.RunBy.PID != os.Getppid() {
			t.Errorf("the use names %+v; want this process (%d, %s), run by %d", p, os.Getpid(), exe, os.Getppid())
		}
	}
}

func TestTheAppAsksAndTheAnswerDecides(t *testing.T) {
	desk := &Desk{}
	c, _ := serveWith(t, func(s *Server) { s.App, s.Desk = true, desk })
	var told atomic.Int32
	c.Confirming = func() { told.Add(1) }

	for _, tc := range []struct {
		answer Answer
		want   error
	}{
		{Deny, latchapp.ErrDenied},
		{Allow, session.ErrNoCredentials}, // past the question: nobody is signed in
	} {
		errc := make(chan error, 1)
		go func() {
			_, err := c.Token(context.Background(), confirmed(), latchapp.TokenRequest{IDToken: true})
			errc <- err
		}()
		q := pendingSoon(t, desk)
		if q.Token != "ID token" || q.Account != "default" || q.Issuer != testConfig.Issuer || q.Program.PID != os.Getpid() {
			t.Fatalf("the question %+v; want this process asking for the ID token of default", q)
		}
		desk.Answer(q.ID, tc.answer)
		if err := <-errc; !errors.Is(err, tc.want) {
			t.Fatalf("answered %v: %v; want %v", tc.answer, err, tc.want)
		}
	}
	if n := told.Load(); n != 2 {
		t.Errorf("the client was told %d times that the token waits for the person; want 2", n)
	}
	uses := desk.Uses("")
	if len(uses) != 1 || uses[0].Outcome != OutcomeDenied {
		t.Fatalf("uses %+v; want the denial (the allowed token was not handed out: nobody is signed in)", uses)
	}
}

func TestAQuestionGoesWhenItsProgramGivesUp(t *testing.T) {
	desk := &Desk{}
	c, _ := serveWith(t, func(s *Server) { s.App, s.Desk = true, desk })
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Token(ctx, confirmed(), latchapp.TokenRequest{})
		errc <- err
	}()
	pendingSoon(t, desk)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the command gave up: %v; want its context's error", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(desk.Pending()) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the question of a program that gave up is still pending after 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAProgramAllowedForAWhileIsNotAskedAgain(t *testing.T) {
	desk := &Desk{}
	c, _ := serveWith(t, func(s *Server) { s.App, s.Desk = true, desk })
	errc := make(chan error, 1)
	go func() {
		_, err := c.Token(context.Background(), confirmed(), latchapp.TokenRequest{})
		errc <- err
	}()
	q := pendingSoon(t, desk)
	if q.AllowFor != latchapp.DefaultConfirmFor {
		t.Errorf("the question allows for %s; want the default %s", q.AllowFor, latchapp.DefaultConfirmFor)
	}
	desk.Answer(q.ID, AllowForAWhile)
	if err := <-errc; !errors.Is(err, session.ErrNoCredentials) {
		t.Fatalf("allowed for a while: %v; want past the question", err)
	}
	if _, err := c.Token(context.Background(), confirmed(), latchapp.TokenRequest{}); !errors.Is(err, session.ErrNoCredentials) {
		t.Fatalf("the same program again: %v; want it past the question without one", err)
	}
}

// A program cannot lower what the person's config file says: it sends
// a configuration of its own, without confirm, or with the API under
// another name.
func TestTheConfigFileDecidesWhateverTheRequestSays(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config.toml")
	text := `issuer = "https://issuer.example"
client_id = "latch"
confirm_for = "3m"

[apis.prod]
audience = "https://prod.example/"
confirm = true
`
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	desk := &Desk{}
	accounts := &latchapp.Accounts{File: file, Getenv: func(string) string { return "" }}
	c, _ := serveWith(t, func(s *Server) { s.Desk, s.Accounts = desk, accounts })
	cfg, err := latchapp.LoadConfig(latchapp.Settings{}, func(string) string { return "" }, file)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConfirmAPIs = nil
	if _, err := c.Token(context.Background(), cfg, latchapp.TokenRequest{Name: "prod"}); !errors.Is(err, latchapp.ErrNeedsApp) {
		t.Fatalf("prod asked for with confirm taken out of the request: %v; want latchapp.ErrNeedsApp", err)
	}
	cfg.APIs = map[string]session.API{"sneaky": {Audience: "https://prod.example/"}}
	if _, err := c.Token(context.Background(), cfg, latchapp.TokenRequest{Name: "sneaky"}); !errors.Is(err, latchapp.ErrNeedsApp) {
		t.Fatalf("prod's audience asked for under another name: %v; want latchapp.ErrNeedsApp", err)
	}
	if got := accounts.ConfirmFor(); got != 3*time.Minute {
		t.Errorf("ConfirmFor = %s; want the file's 3m", got)
	}
}

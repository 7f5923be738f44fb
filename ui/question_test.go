package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/agent"
)

// asked is a question put to the desk by a goroutine, as the agent puts
// one, and its answer when it comes.
type asked struct {
	cancel context.CancelFunc
	done   chan struct{}
	answer agent.Answer
	err    error
}

// ask puts q to desk in the background.
func ask(t *testing.T, desk *agent.Desk, q agent.Question) *asked {
	ctx, cancel := context.WithCancel(t.Context())
	a := &asked{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.answer, a.err = desk.Ask(ctx, q)
	}()
	t.Cleanup(cancel)
	return a
}

// wait waits for the answer.
func (a *asked) wait(t *testing.T) (agent.Answer, error) {
	t.Helper()
	select {
	case <-a.done:
		return a.answer, a.err
	case <-time.After(20 * time.Second):
		t.Fatal("the question was not answered within 20 s")
		return 0, nil
	}
}

// kubectlQuestion is a question from latch token run by kubectl.
func kubectlQuestion(token string) agent.Question {
	return agent.Question{
		Program: agent.Program{PID: 4242, Path: "/usr/bin/latch", Args: []string{"latch", "token", "--name", token},
			RunBy: &agent.Program{PID: 4240, Path: "/usr/bin/kubectl", Args: []string{"kubectl", "get", "pods"}}},
		Account: "default", Issuer: "https://id.example.com", ClientID: "latch", Token: token, AllowFor: 10 * time.Minute,
	}
}

// withDesk starts the app with a desk of its own.
func withDesk(t *testing.T) (*appWindow, *agent.Desk) {
	h := newHarness(t)
	h.desk = &agent.Desk{}
	return h.start(), h.desk
}

// shownQuestion waits until the window shows a question whose text has
// want.
func shownQuestion(t *testing.T, ui *appWindow, want string) {
	t.Helper()
	waitFor(t, "the question with "+want, func() bool {
		return ui.asking != nil && strings.Contains(overlayText(ui.window), want)
	})
}

func typeKey(ui *appWindow, key fyne.KeyName) {
	onUI(func() { ui.window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: key}) })
}

func TestQuestionEnterAllows(t *testing.T) {
	ui, desk := withDesk(t)
	q := ask(t, desk, kubectlQuestion("prod"))
	shownQuestion(t, ui, "kubectl get pods")
	text := ""
	onUI(func() { text = overlayText(ui.window) })
	for _, want := range []string{"latch, run by kubectl, asks for the token prod of your account default at https://id.example.com.",
		"Program: latch token --name prod", "path /usr/bin/latch, pid 4242", "Run by:  kubectl get pods", "path /usr/bin/kubectl, pid 4240"} {
		if !strings.Contains(text, want) {
			t.Errorf("the question says:\n%s\nwant it to have %q", text, want)
		}
	}
	var allow *widget.Button
	onUI(func() { allow = findButton(t, ui.window.Canvas().Overlays().Top(), "Allow") })
	if allow == nil || allow.Importance != widget.HighImportance {
		t.Fatalf("the Allow button is %+v; want the default (high importance) button", allow)
	}
	typeKey(ui, fyne.KeyReturn)
	if a, err := q.wait(t); a != agent.Allow || err != nil {
		t.Fatalf("Enter answered %v, %v; want Allow", a, err)
	}
	waitFor(t, "the question to close", func() bool { return ui.asking == nil && ui.window.Canvas().Overlays().Top() == nil })
}

func TestQuestionEscapeDenies(t *testing.T) {
	ui, desk := withDesk(t)
	q := ask(t, desk, kubectlQuestion("prod"))
	shownQuestion(t, ui, "prod")
	typeKey(ui, fyne.KeyEscape)
	if a, err := q.wait(t); a != agent.Deny || err != nil {
		t.Fatalf("Escape answered %v, %v; want Deny", a, err)
	}
	waitFor(t, "the question to close", func() bool { return ui.asking == nil })
}

func TestQuestionAllowanceExpires(t *testing.T) {
	ui, desk := withDesk(t)
	var mu sync.Mutex
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	desk.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	q := kubectlQuestion("prod")
	first := ask(t, desk, q)
	shownQuestion(t, ui, "prod")
	tapDialogButton(t, ui.window, "Allow this program for 10 minutes")
	if a, err := first.wait(t); a != agent.AllowForAWhile || err != nil {
		t.Fatalf("the button answered %v, %v; want AllowForAWhile", a, err)
	}
	if !desk.Allowed(q) {
		t.Fatal("just after the person allowed kubectl for 10 minutes, it is not allowed")
	}
	other := q
	other.Token = "staging"
	if desk.Allowed(other) {
		t.Error("the allowance for prod allows staging too; want one token's")
	}
	otherProgram := q
	otherProgram.Program.RunBy = &agent.Program{PID: 1, Path: "/usr/bin/bash"}
	if desk.Allowed(otherProgram) {
		t.Error("the allowance for kubectl allows bash too; want one program's")
	}
	advance(10*time.Minute - time.Second)
	if !desk.Allowed(q) {
		t.Fatal("9 min 59 s after, kubectl is no longer allowed; want it allowed for 10 minutes")
	}
	advance(time.Second)
	if desk.Allowed(q) {
		t.Fatal("10 minutes after, kubectl is still allowed; want the allowance ended")
	}
	ask(t, desk, q)
	shownQuestion(t, ui, "prod") // asked again
}

func TestQuestionsQueue(t *testing.T) {
	ui, desk := withDesk(t)
	first := ask(t, desk, kubectlQuestion("one"))
	shownQuestion(t, ui, "token one")
	second := ask(t, desk, kubectlQuestion("two"))
	shownQuestion(t, ui, "(2 waiting)") // asked in this order
	third := ask(t, desk, kubectlQuestion("three"))
	shownQuestion(t, ui, "(3 waiting)")

	typeKey(ui, fyne.KeyReturn)
	if a, err := first.wait(t); a != agent.Allow || err != nil {
		t.Fatalf("the first question was answered %v, %v; want Allow", a, err)
	}
	shownQuestion(t, ui, "token two")
	shownQuestion(t, ui, "(2 waiting)")

	// The third program gives up (it exited): its question goes.
	third.cancel()
	if _, err := third.wait(t); err == nil {
		t.Fatal("a question whose program gave up was answered; want its context's error")
	}
	waitFor(t, "the count to drop", func() bool {
		text := overlayText(ui.window)
		return strings.Contains(text, "token two") && !strings.Contains(text, "waiting)")
	})

	typeKey(ui, fyne.KeyEscape)
	if a, err := second.wait(t); a != agent.Deny || err != nil {
		t.Fatalf("the second question was answered %v, %v; want Deny", a, err)
	}
	waitFor(t, "no question left", func() bool { return ui.asking == nil && len(desk.Pending()) == 0 })
}

func TestQuestionShowsControlAndBidiEscaped(t *testing.T) {
	ui, desk := withDesk(t)
	q := kubectlQuestion("prod")
	// A program named to look like another: a right-to-left override
	// turns "evil\u202Egpj.exe" into "evilexe.jpg" on screen, and an
	// escape sequence or newline could forge lines.
	q.Program.Path = "/tmp/evil\u202Egpj.exe"
	q.Program.Args = []string{"evil\u202Egpj.exe", "\x1b[2Jcleared", "two\nlines", "\u2066isolate\u2069"}
	q.Program.RunBy = &agent.Program{PID: 7, Path: "/tmp/\u200Fx", Args: []string{"sh\r"}}
	ask(t, desk, q)
	shownQuestion(t, ui, "prod")
	text := ""
	onUI(func() { text = overlayText(ui.window) })
	for _, raw := range []string{"\u202E", "\x1b", "two\nlines", "\u2066", "\u2069", "\u200F", "\r"} {
		if strings.Contains(text, raw) {
			t.Errorf("the question shows %q raw:\n%s", raw, text)
		}
	}
	for _, want := range []string{`evil\u202egpj.exe`, `\x1b[2Jcleared`, `two\x0alines`, `\u2066isolate\u2069`, `/tmp/\u200fx`, `sh\x0d`} {
		if !strings.Contains(text, want) {
			t.Errorf("the question says:\n%s\nwant it to show %q", text, want)
		}
	}
}

func TestQuestionNotifiesWhenTheWindowIsBehind(t *testing.T) {
	ui, _ := withDesk(t)
	q := kubectlQuestion("prod")
	onUI(func() {
		ui.inFront = true
		test.AssertNotificationSent(t, nil, func() { ui.showQuestion(q, 1) })
		ui.closeQuestion()
		ui.inFront = false
		want := fyne.NewNotification("Latch: allow a token?", "latch, run by kubectl, asks for the token prod of your account default at https://id.example.com.")
		test.AssertNotificationSent(t, want, func() { ui.showQuestion(q, 1) })
	})
}

func TestRecentUsesTabListsTheAccountsUses(t *testing.T) {
	h := newHarness(t)
	h.desk = &agent.Desk{}
	h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.screen == ScreenProfile })
	var tab *container.TabItem
	onUI(func() {
		for _, item := range ui.tabs.Items {
			if item.Text == "Recent uses" {
				tab = item
			}
		}
	})
	if tab == nil {
		t.Fatal("the profile has no Recent uses tab")
	}
	text := func() string { return labelsText(tab.Content) }
	waitFor(t, "the empty list", func() bool { return strings.Contains(text(), "No program has asked") })

	account := ui.account.Config.AccountName()
	prog := kubectlQuestion("prod").Program
	prog.Args = []string{"latch", "token", "--name", "prod\u202E"}
	h.desk.Record(agent.Use{Account: account, Program: prog, Token: "prod", Outcome: agent.OutcomeDenied})
	h.desk.Record(agent.Use{Account: account, Program: prog, Token: "access token", Outcome: agent.OutcomeAutomatic})
	h.desk.Record(agent.Use{Account: "another", Program: prog, Token: "theirs", Outcome: agent.OutcomeAllowed})
	waitFor(t, "two uses listed", func() bool { return strings.Count(text(), "path /usr/bin/latch") == 2 })
	got := text()
	if newest, older := strings.Index(got, "automatic  access token"), strings.Index(got, "denied  prod"); newest < 0 || older < newest {
		t.Errorf("the tab shows:\n%s\nwant the automatic access token first (newest), then prod denied", got)
	}
	if strings.Contains(got, "theirs") || strings.Contains(got, "\u202E") || !strings.Contains(got, `prod\u202e`) {
		t.Errorf("the tab shows:\n%s\nwant this account's uses alone, the override escaped", got)
	}
}

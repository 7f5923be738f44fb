package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
)

// The agent's questions: a token the configuration marks confirm = true
// waits until the person answers in the window. The first question
// waiting is shown as the window's dialog, the window raised (and a
// desktop notification sent when it is not in front); Enter allows,
// Escape denies. The next one follows when it is answered, and one whose
// program gave up goes away.

// followDesk shows the desk's questions and uses from now on.
func (a *appWindow) followDesk() {
	if a.desk == nil {
		return
	}
	a.stopDesk = a.desk.Listen(func() { a.do(a.onDesk) })
	a.onDesk()
}

// onDesk follows a change of the desk: the question shown, and the uses.
func (a *appWindow) onDesk() {
	pending := a.desk.Pending()
	if a.asking != nil && !slices.ContainsFunc(pending, func(q agent.Question) bool { return q.ID == a.asking.ID }) {
		// Its program stopped waiting.
		a.closeQuestion()
	}
	if a.asking == nil && len(pending) > 0 {
		a.showQuestion(pending[0], len(pending))
	} else if a.asking != nil {
		a.askingTitle.SetText(questionTitle(len(pending)))
	}
	if a.uses != nil {
		a.uses.refresh()
	}
}

// questionTitle is the question's title, with how many wait when more
// than one does.
func questionTitle(waiting int) string {
	if waiting > 1 {
		return fmt.Sprintf("Allow this token? (%d waiting)", waiting)
	}
	return "Allow this token?"
}

// showQuestion shows q as the window's dialog, in place of any other.
func (a *appWindow) showQuestion(q agent.Question, waiting int) {
	if a.dialog != nil {
		a.dialog.Hide()
		a.dialog, a.dialogConfirm, a.dialogDismiss = nil, nil, nil
	}
	a.asking = &q
	a.askingTitle = widget.NewLabelWithStyle(questionTitle(waiting), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	summary := widget.NewLabel(questionSummary(q))
	summary.Wrapping = fyne.TextWrapWord
	details := widget.NewLabel(programDetails(q.Program))
	details.Wrapping = fyne.TextWrapBreak
	details.TextStyle = fyne.TextStyle{Monospace: true}
	allow := newButton("Allow", nil, func() { a.answerQuestion(agent.Allow) })
	allow.Importance = widget.HighImportance
	allowFor := newButton("Allow this program for "+spelledDuration(q.AllowFor), nil, func() { a.answerQuestion(agent.AllowForAWhile) })
	deny := newButton("Deny", nil, func() { a.answerQuestion(agent.Deny) })
	content := container.NewVBox(a.askingTitle, summary, details, container.NewHBox(deny, allowFor, allow))
	d := dialog.NewCustomWithoutButtons("Latch", content, a.window)
	d.Resize(fyne.NewSize(520, 0))
	a.dialog = d
	a.dialogConfirm = func() { a.answerQuestion(agent.Allow) }
	a.dialogDismiss = func() { a.answerQuestion(agent.Deny) }
	a.window.Canvas().Unfocus() // Enter and Escape are the question's
	d.Show()
	a.window.Show()
	a.window.RequestFocus()
	a.notify("Latch: allow a token?", questionSummary(q))
	a.log.Info("a token waits for the person", "program", q.Program.Path, "pid", q.Program.PID, "account", q.Account, "token", q.Token)
}

// answerQuestion answers the question shown and closes it; the next one
// waiting follows.
func (a *appWindow) answerQuestion(answer agent.Answer) {
	if a.asking == nil {
		return
	}
	id := a.asking.ID
	a.closeQuestion()
	// The desk tells its listeners, this window among them, at once: not
	// from inside the window's own handler.
	go a.desk.Answer(id, answer)
}

// closeQuestion hides the question shown.
func (a *appWindow) closeQuestion() {
	if a.dialog != nil {
		a.dialog.Hide()
	}
	a.dialog, a.dialogConfirm, a.dialogDismiss = nil, nil, nil
	a.asking, a.askingTitle = nil, nil
}

// questionSummary says in one sentence who asks for what.
func questionSummary(q agent.Question) string {
	who := latchapp.Printable(q.Program.Name())
	if q.Program.RunBy != nil {
		who += ", run by " + latchapp.Printable(q.Program.RunBy.Name()) + ","
	}
	return fmt.Sprintf("%s asks for the %s of your account %s at %s.", who, tokenPhrase(q.Token), latchapp.Printable(q.Account), latchapp.Printable(q.Issuer))
}

// tokenPhrase names a token in a sentence.
func tokenPhrase(token string) string {
	if token == latchapp.OwnAccessToken || token == latchapp.OwnIDToken {
		return token
	}
	return "token " + latchapp.Printable(token)
}

// programDetails are the program's command line, path and pid, and the
// same of the one that started it, with every character that could
// mislead (control and bidi characters) shown escaped.
func programDetails(p agent.Program) string {
	var b strings.Builder
	describe := func(label string, p agent.Program) {
		fmt.Fprintf(&b, "%s %s\n", label, latchapp.Printable(orUnknown(p.CommandLine())))
		fmt.Fprintf(&b, "  path %s, pid %d\n", latchapp.Printable(orUnknown(p.Path)), p.PID)
	}
	describe("Program:", p)
	if p.RunBy != nil {
		describe("Run by: ", *p.RunBy)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// spelledDuration says d in words: "10 minutes", "1 hour", "90 seconds".
func spelledDuration(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return unit(int64(d.Round(time.Second)/time.Second), "second")
}

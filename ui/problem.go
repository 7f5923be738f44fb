package ui

import (
	"context"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
)

// Reopen opens the account again once the person changed something: as
// configured, read afresh, or the sandbox instead (sandbox true). It
// returns the account and the accounts of the config file in use.
type Reopen = func(ctx context.Context, sandbox bool) (*latchapp.Account, *latchapp.Accounts, error)

// Repair opens Latch's window on a configuration that cannot be used
// (problem; file is the config file, empty for none), instead of leaving
// without a window: it says what is wrong and where, and offers to open
// the file, to try again once it is changed, or to use the sandbox. Once
// reopen gives an account, the window goes on as [Run]'s. It returns when
// the app quits; the account reopen gave is the caller's to close.
func Repair(ctx context.Context, log *slog.Logger, problem error, file string, reopen Reopen, desk *agent.Desk) error {
	ui := newApp(ctx, nil, log)
	ui.desk = desk
	ui.showProblem(problem, file, reopen)
	ui.run(ctx, false)
	ui.stop()
	if ui.account != nil && ui.account != ui.repaired {
		ui.account.Close() // the account switched to
	}
	return nil
}

// problemScreen is the screen of a configuration that cannot be used.
type problemScreen struct {
	text, where *widget.Label
	buttons     []*button
}

// showProblem shows problem, in file, with what the person can do.
func (a *appWindow) showProblem(problem error, file string, reopen Reopen) {
	if a.fontsLoaded != nil {
		a.fontsLoaded()
		a.fontsLoaded = nil
	}
	a.window.SetMaster()
	a.log.Info("the configuration cannot be used", "error", problem)
	p := &problemScreen{text: widget.NewLabel(""), where: widget.NewLabel("")}
	p.text.Wrapping, p.where.Wrapping = fyne.TextWrapWord, fyne.TextWrapBreak
	p.show(problem, file)
	retry := func(sandbox bool) {
		p.enable(false)
		a.background.Go(func() {
			acct, accounts, err := reopen(a.ctx, sandbox)
			a.do(func() {
				if err != nil {
					a.log.Info("the configuration still cannot be used", "error", err)
					p.show(err, file)
					p.enable(true)
					return
				}
				a.repaired, a.account, a.accounts = acct, acct, accounts
				a.start()
			})
		})
	}
	tryAgain := newButton("Try again", nil, func() { retry(false) })
	tryAgain.Importance = widget.HighImportance
	sandbox := newButton("Use the sandbox instead", nil, func() { retry(true) })
	quit := newButton("Quit", nil, func() { a.fyne.Quit() })
	p.buttons = []*button{tryAgain, sandbox, quit}
	row := []fyne.CanvasObject{quit, sandbox}
	if _, err := os.Stat(file); file != "" && err == nil {
		open := newButton("Open the file", nil, func() {
			if err := a.openFile(file); err != nil {
				a.showError("The file could not be opened", err)
			}
		})
		p.buttons = append(p.buttons, open)
		row = append(row, open)
	}
	row = append(row, tryAgain)
	title := widget.NewLabelWithStyle("Latch cannot use its configuration", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	note := widget.NewLabel("Change the file and try again, or try Latch with its sandbox: demo accounts on this computer.")
	note.Wrapping = fyne.TextWrapWord
	content := container.NewPadded(container.NewVBox(title, p.text, p.where, note, container.NewHBox(row...)))
	a.setScreen(ScreenProblem, content)
	a.fitWindow(content)
	// Enter tries again, until the window's own keys take over.
	a.window.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if (ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter) && !tryAgain.Disabled() {
			tryAgain.OnTapped()
		}
	})
}

// show says what err is, and in which file when it does not say so.
func (p *problemScreen) show(err error, file string) {
	text := latchapp.Describe(err)
	p.text.SetText(text)
	where := ""
	if file != "" && !strings.Contains(text, file) {
		where = "Config file: " + latchapp.Printable(file)
	}
	p.where.SetText(where)
	if where == "" {
		p.where.Hide()
	} else {
		p.where.Show()
	}
}

func (p *problemScreen) enable(on bool) {
	for _, b := range p.buttons {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

// openFile opens file with the program the desktop gives its kind.
func (a *appWindow) openFile(file string) error {
	if a.openPath != nil {
		return a.openPath(file)
	}
	return a.fyne.OpenURL(&url.URL{Scheme: "file", Path: file})
}

package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
)

// usesView is the "Recent uses" tab: the last token uses of the account
// shown, newest first, as the agent recorded them (kept in its memory
// only).
type usesView struct {
	desk    *agent.Desk
	account string
	list    *fyne.Container
	empty   *widget.Label
}

// newUsesView is the tab's view of account's uses in desk.
func newUsesView(desk *agent.Desk, account string) *usesView {
	v := &usesView{desk: desk, account: account, list: container.NewVBox()}
	v.empty = widget.NewLabel("No program has asked for a token of this account since the app started.")
	v.empty.Wrapping = fyne.TextWrapWord
	return v
}

func (v *usesView) build() fyne.CanvasObject {
	note := widget.NewLabel("Programs that asked the app for a token, newest first: the last 100, kept until the app quits.")
	note.Wrapping = fyne.TextWrapWord
	v.refresh()
	return container.NewBorder(note, nil, nil, nil, container.NewVScroll(v.list))
}

// refresh lists the uses as the desk has them now.
func (v *usesView) refresh() {
	uses := v.desk.Uses(v.account)
	rows := make([]fyne.CanvasObject, 0, len(uses))
	for _, u := range uses {
		rows = append(rows, useRow(u))
	}
	if len(rows) == 0 {
		rows = append(rows, v.empty)
	}
	v.list.Objects = rows
	v.list.Refresh()
}

// useRow is one use: when, how it went, which token, and the program.
func useRow(u agent.Use) fyne.CanvasObject {
	head := widget.NewLabelWithStyle(fmt.Sprintf("%s  %s  %s", u.Time.Local().Format(time.TimeOnly), u.Outcome, latchapp.Printable(u.Token)),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	body := widget.NewLabel(programDetails(u.Program))
	body.Wrapping = fyne.TextWrapBreak
	body.TextStyle = fyne.TextStyle{Monospace: true}
	return container.NewVBox(head, body)
}

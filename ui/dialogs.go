package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/app/latchapp"
)

// The app's dialogs are Fyne's text dialogs, whose text wraps to fit the
// window: a question (confirm), the answer to the metadata conflict
// (metadataScreen.confirmOverwrite) and an error (showError).

// confirm asks a yes-or-no question; Enter confirms and Escape dismisses.
func (a *appWindow) confirm(title, text, confirmText string, onConfirm func()) {
	a.ask(onConfirm, func(answer func(bool)) dialog.Dialog {
		d := dialog.NewConfirm(title, text, answer, a.window)
		d.SetConfirmText(confirmText)
		d.SetDismissText("Cancel") // as in every question of the app
		return d
	})
}

// confirmWith asks a question with a choice under its text (a check box);
// Enter confirms and Escape dismisses, as in confirm.
func (a *appWindow) confirmWith(title, text string, choice fyne.CanvasObject, confirmText string, onConfirm func()) {
	a.ask(onConfirm, func(answer func(bool)) dialog.Dialog {
		label := widget.NewLabel(text)
		label.Wrapping = fyne.TextWrapWord
		d := dialog.NewCustomConfirm(title, confirmText, "Cancel", container.NewVBox(label, choice), answer, a.window)
		d.Resize(fyne.NewSize(440, 0))
		return d
	})
}

// ask shows the question that build makes with its answer function, as
// the window's dialog: onConfirm runs once, whether the person confirms
// with the button or with Enter.
func (a *appWindow) ask(onConfirm func(), build func(answer func(bool)) dialog.Dialog) {
	if a.asking != nil {
		return // the agent's question is answered first
	}
	done := false
	confirmed := func() {
		if !done {
			done = true
			onConfirm()
		}
	}
	d := build(func(ok bool) {
		a.dialog, a.dialogConfirm = nil, nil
		if ok {
			confirmed()
		}
	})
	a.dialog = d
	a.dialogConfirm = func() {
		if c, ok := d.(interface{ Confirm() }); ok {
			c.Confirm() // as its button: its answer says yes (Hide would say no)
			return
		}
		a.dialog, a.dialogConfirm = nil, nil
		d.Hide()
		confirmed()
	}
	// A field that kept the focus would take Enter and Escape.
	a.window.Canvas().Unfocus()
	d.Show()
}

// showError is the one place errors are shown in a dialog: what failed,
// then the core's sentence.
func (a *appWindow) showError(what string, err error) {
	dialog.ShowInformation(what, latchapp.Describe(err), a.window)
}

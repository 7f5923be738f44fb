package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/latchapp/latch/internal/core"
)

// The app's dialogs are Fyne's text dialogs, whose text wraps to fit the
// window: a question (confirm), the answer to the metadata conflict
// (metadataScreen.confirmOverwrite) and an error (showError).

// confirm asks a yes-or-no question; Enter confirms and Escape dismisses.
func (a *appWindow) confirm(title, text, confirmText string, onConfirm func()) {
	done := false
	d := dialog.NewConfirm(title, text, func(ok bool) {
		a.dialog, a.dialogConfirm = nil, nil
		if ok && !done {
			done = true
			onConfirm()
		}
	}, a.window)
	d.SetConfirmText(confirmText)
	a.dialog = d
	a.dialogConfirm = func() {
		a.dialog, a.dialogConfirm = nil, nil
		d.Hide()
		if !done {
			done = true
			onConfirm()
		}
	}
	d.Show()
}

// confirmWith asks a question with a choice under its text (a check box);
// Enter confirms and Escape dismisses, as in confirm.
func (a *appWindow) confirmWith(title, text string, choice fyne.CanvasObject, confirmText string, onConfirm func()) {
	done := false
	label := widget.NewLabel(text)
	label.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, confirmText, "Cancel", container.NewVBox(label, choice), func(ok bool) {
		a.dialog, a.dialogConfirm = nil, nil
		if ok && !done {
			done = true
			onConfirm()
		}
	}, a.window)
	a.dialog = d
	a.dialogConfirm = func() {
		a.dialog, a.dialogConfirm = nil, nil
		d.Hide()
		if !done {
			done = true
			onConfirm()
		}
	}
	d.Resize(fyne.NewSize(440, 0))
	d.Show()
}

// showError is the one place errors are shown in a dialog: what failed,
// then the core's sentence.
func (a *appWindow) showError(what string, err error) {
	dialog.ShowInformation(what, core.Describe(err), a.window)
}

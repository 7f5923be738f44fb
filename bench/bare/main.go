// Command bare is the baseline of Latch's launch and idle measurements: a
// bare Fyne window of the same size, from the same Fyne version, showing
// one label. See bench/README.md.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("dev.latch.bench.bare")
	w := a.NewWindow("Bare")
	w.SetContent(widget.NewLabel("Hello"))
	w.Resize(fyne.NewSize(560, 560))
	w.ShowAndRun()
}

// Command bare is the baseline of Latch's launch and idle measurements: a
// bare Fyne window of the same size, from the same Fyne version, showing
// one label. Like Latch with --verbose, it says on stderr when its content
// is first drawn. See bench/README.md.
package main

import (
	"fmt"
	"image"
	"os"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("dev.latch.bench.bare")
	w := a.NewWindow("Bare")
	var once sync.Once
	clear := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	probe := canvas.NewRaster(func(int, int) image.Image {
		once.Do(func() { fmt.Fprintln(os.Stderr, `msg="first frame"`) })
		return clear
	})
	w.SetContent(container.NewStack(widget.NewLabel("Hello"), probe))
	w.Resize(fyne.NewSize(560, 560))
	w.ShowAndRun()
}

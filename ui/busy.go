package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// busy is a place for an infinite progress bar that animates only while
// it is shown. Fyne's bar starts animating when it is first drawn, and
// neither hiding it nor replacing the window's content stops it: the
// window would repaint at full frame rate, for nothing, until Fyne drops
// the bar's renderer a minute later. So a bar is made when work starts,
// and stopped and taken out when it ends.
type busy struct {
	// Slot is the place in the layout.
	Slot *fyne.Container
	bar  *widget.ProgressBarInfinite
}

func newBusy() *busy { return &busy{Slot: container.NewStack()} }

// show puts a running bar in the slot.
func (b *busy) show() {
	if b.bar != nil {
		return
	}
	b.bar = widget.NewProgressBarInfinite()
	b.Slot.Objects = []fyne.CanvasObject{b.bar}
	b.Slot.Refresh()
}

// hide stops the bar and takes it out.
func (b *busy) hide() {
	if b.bar == nil {
		return
	}
	b.bar.Stop()
	b.bar = nil
	b.Slot.Objects = nil
	b.Slot.Refresh()
}

// running reports whether a bar is shown.
func (b *busy) running() bool { return b.bar != nil && b.bar.Running() }

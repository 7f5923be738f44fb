package ui

import "fyne.io/fyne/v2"

// fixedWidth lays its objects out one over the other, each of a fixed
// width and of the tallest one's height, so that a container.NewCenter around it
// centres the whole content. (A grid-wrap cell of height 0, used before,
// put the content's top at the centre, so it hung in the lower half.)
type fixedWidth struct{ width float32 }

// MinSize implements fyne.Layout: the width, and the tallest object's
// height.
func (c fixedWidth) MinSize(objects []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objects {
		if o.Visible() {
			h = max(h, o.MinSize().Height)
		}
	}
	return fyne.NewSize(c.width, h)
}

// Layout implements fyne.Layout: every object takes the whole area.
func (c fixedWidth) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// metaColumns lays out the metadata editor's header and each of its rows
// in the same four columns: key, type, value and the row's remove button
// (a spacer in the header), so that the header's words stand over their
// columns. The type and the button take their own width; of the rest the
// key gets keyShare and the value, which may be a whole JSON object, all
// that is left.
type metaColumns struct {
	kind, remove float32
}

// keyShare is the key's part of the width the type and the button leave.
const keyShare = 0.3

// newMetaColumns measures the type's and the button's columns: the
// widest type a select shows, and the remove button.
func newMetaColumns() metaColumns {
	return metaColumns{
		kind:   widget.NewSelect(kindNames, nil).MinSize().Width,
		remove: newButton("", theme.DeleteIcon(), nil).MinSize().Width,
	}
}

// MinSize implements fyne.Layout: each column at its least, and the
// tallest object's height.
func (c metaColumns) MinSize(objects []fyne.CanvasObject) fyne.Size {
	w, h := c.kind+c.remove+3*theme.Padding(), float32(0)
	for i, o := range objects {
		less := o.MinSize()
		if i == 0 || i == 2 { // the key and the value
			w += less.Width
		}
		h = max(h, less.Height)
	}
	return fyne.NewSize(w, h)
}

// Layout implements fyne.Layout for objects key, type, value, remove.
func (c metaColumns) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	rest := max(size.Width-c.kind-c.remove-3*pad, 0)
	key := rest * keyShare
	widths := []float32{key, c.kind, rest - key, c.remove}
	x := float32(0)
	for i, o := range objects {
		if i == len(widths) {
			break
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(widths[i], size.Height))
		x += widths[i] + pad
	}
}

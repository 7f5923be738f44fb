package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// button is Fyne's button that Enter presses when it has the focus, as
// Space does, and that shows the focus as a ring in the text's colour
// (Fyne's own focus tint on a button is a shade nobody can see). Every
// button of the app is one.
type button struct {
	widget.Button
	focused bool
}

// newButton is a button labelled label, with icon when it is not nil.
func newButton(label string, icon fyne.Resource, tapped func()) *button {
	b := &button{}
	b.ExtendBaseWidget(b)
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	return b
}

// TypedKey presses the button on Enter; other keys are the button's.
func (b *button) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
		if !b.Disabled() && b.OnTapped != nil {
			b.OnTapped()
		}
		return
	}
	b.Button.TypedKey(ev)
}

// FocusGained shows the ring.
func (b *button) FocusGained() {
	b.focused = true
	b.Button.FocusGained()
}

// FocusLost hides the ring.
func (b *button) FocusLost() {
	b.focused = false
	b.Button.FocusLost()
}

func (b *button) CreateRenderer() fyne.WidgetRenderer {
	ring := canvas.NewRectangle(nil)
	ring.StrokeWidth = 2
	ring.Hide()
	return &ringRenderer{WidgetRenderer: b.Button.CreateRenderer(), ring: ring, b: b}
}

// ringRenderer draws a button and, while it has the focus, a ring
// around it.
type ringRenderer struct {
	fyne.WidgetRenderer
	ring *canvas.Rectangle
	b    *button
}

func (r *ringRenderer) Layout(size fyne.Size) {
	r.WidgetRenderer.Layout(size)
	r.ring.Move(fyne.NewPos(0, 0))
	r.ring.Resize(size)
}

func (r *ringRenderer) Objects() []fyne.CanvasObject {
	return append(r.WidgetRenderer.Objects(), r.ring)
}

func (r *ringRenderer) Refresh() {
	r.WidgetRenderer.Refresh()
	r.ring.StrokeColor = theme.Color(theme.ColorNameForeground)
	r.ring.CornerRadius = theme.InputRadiusSize()
	r.ring.Hidden = !r.b.focused || r.b.Disabled()
	r.ring.Refresh()
}

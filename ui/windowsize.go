package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// The window's size follows its content until the person gives it one:
// the first window is as large as its first screen needs (never smaller
// than minWindow), and it grows, up to maxFitted, when a screen needs
// more. A size the person chose is kept in the preferences when the
// window closes and used from then on.
var (
	minWindow = fyne.NewSize(480, 420)
	maxFitted = fyne.NewSize(820, 720)
)

// naturalSize is the size at which content shows whole: its minimum size,
// plus what each of its vertical scroll containers hides.
func naturalSize(content fyne.CanvasObject, scrolls ...*container.Scroll) fyne.Size {
	size := content.MinSize()
	for _, s := range scrolls {
		if s != nil && s.Content != nil {
			size.Height += max(0, s.Content.MinSize().Height-s.MinSize().Height)
			size.Width = max(size.Width, s.Content.MinSize().Width)
		}
	}
	return size
}

// fitWindow grows the window to show content whole, within maxFitted,
// unless the person has a size of their own.
func (a *appWindow) fitWindow(content fyne.CanvasObject, scrolls ...*container.Scroll) {
	if a.personSized {
		return
	}
	want := naturalSize(content, scrolls...).Max(minWindow).Min(maxFitted)
	if have := a.window.Canvas().Size(); have.Width < want.Width || have.Height < want.Height {
		a.window.Resize(want.Max(have))
	}
}

// sizeFromPreferences gives the window the size the person left it at,
// and reports whether there was one.
func (a *appWindow) sizeFromPreferences() bool {
	p := a.fyne.Preferences()
	w, h := p.Float(prefWidth), p.Float(prefHeight)
	if w <= 0 || h <= 0 {
		return false
	}
	a.window.Resize(fyne.NewSize(float32(w), float32(h)))
	return true
}

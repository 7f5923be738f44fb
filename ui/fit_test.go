package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// buttonsOf finds the visible buttons in o's tree.
func buttonsOf(o fyne.CanvasObject) []*widget.Button {
	var found []*widget.Button
	eachObject(o, true, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok {
			found = append(found, b)
		}
	})
	return found
}

// inside reports whether every button lies wholly inside the window's
// canvas.
func inside(t *testing.T, ui *appWindow, screen string) {
	t.Helper()
	size := ui.window.Canvas().Size()
	buttons := buttonsOf(ui.window.Content())
	if len(buttons) == 0 {
		t.Fatalf("%s: no button found", screen)
	}
	d := fyne.CurrentApp().Driver()
	for _, b := range buttons {
		pos := d.AbsolutePositionForObject(b)
		end := pos.Add(b.Size())
		if pos.X < 0 || pos.Y < 0 || end.X > size.Width+0.5 || end.Y > size.Height+0.5 {
			t.Errorf("%s: the button %q lies at %v-%v, outside the %v window", screen, b.Text, pos, end, size)
		}
	}
}

// TestScreensFitTheDefaultWindow: at the default 560x560, every button of
// the sign-in and profile screens lies inside the window, and the sign-in
// content is centred, not hung from the middle.
func TestScreensFitTheDefaultWindow(t *testing.T) {
	h := newHarness(t)
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	onUI(func() {
		ui.window.Resize(fyne.NewSize(560, 560))
		inside(t, ui, "sign-in")
		d := fyne.CurrentApp().Driver()
		top := d.AbsolutePositionForObject(ui.signIn.provider).Y
		bottom := d.AbsolutePositionForObject(ui.signIn.device).Y + ui.signIn.device.Size().Height
		if middle := (top + bottom) / 2; middle < 560/2-80 || middle > 560/2+80 {
			t.Errorf("the sign-in content runs from y=%v to y=%v; want it centred in the 560 window", top, bottom)
		}
	})
	h.signInDirectly()
	onUI(ui.retryLaunch)
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	onUI(func() {
		ui.window.Resize(fyne.NewSize(560, 560))
		inside(t, ui, "profile")
	})
}

package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// buttonsOf finds the visible buttons in o's tree.
func buttonsOf(o fyne.CanvasObject) []*widget.Button {
	var found []*widget.Button
	eachObject(o, true, func(o fyne.CanvasObject) {
		switch b := o.(type) {
		case *widget.Button:
			found = append(found, b)
		case *button:
			found = append(found, &b.Button)
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

// dialogShownWhole reports whether the dialog on top of the window shows
// its whole text inside the window (see linesInside).
func dialogShownWhole(t *testing.T, w fyne.Window, what string) {
	t.Helper()
	var top fyne.CanvasObject
	waitFor(t, what, func() bool {
		top = w.Canvas().Overlays().Top()
		return top != nil
	})
	onUI(func() {
		if lines := linesInside(t, w, top, what); lines < 2 {
			t.Errorf("%s: %d lines of text found; want a title and a message", what, lines)
		}
	})
}

// linesInside reports whether each line of text shown in o lies within
// the window's canvas, at no less than the width it needs, and says how
// many lines there are.
func linesInside(t *testing.T, w fyne.Window, o fyne.CanvasObject, what string) int {
	t.Helper()
	size := w.Canvas().Size()
	d := fyne.CurrentApp().Driver()
	lines := 0
	eachObject(o, true, func(o fyne.CanvasObject) {
		text, ok := o.(*canvas.Text)
		if !ok || strings.TrimSpace(text.Text) == "" {
			return
		}
		lines++
		pos := d.AbsolutePositionForObject(text)
		end := pos.Add(text.Size())
		if pos.X < 0 || pos.Y < 0 || end.X > size.Width+0.5 || end.Y > size.Height+0.5 {
			t.Errorf("%s: the line %q lies at %v-%v, outside the %v window", what, text.Text, pos, end, size)
		}
		if need := text.MinSize().Width; need > text.Size().Width+0.5 {
			t.Errorf("%s: the line %q needs a width of %v and has %v: it is cut", what, text.Text, need, text.Size().Width)
		}
	})
	return lines
}

// shownText is the text o shows on screen, its lines joined.
func shownText(o fyne.CanvasObject) string {
	var lines []string
	eachObject(o, true, func(o fyne.CanvasObject) {
		if text, ok := o.(*canvas.Text); ok {
			lines = append(lines, text.Text)
		}
	})
	return strings.Join(lines, "")
}

// unscrolled reports whether s shows its whole content, with no scroll
// bar.
func unscrolled(t *testing.T, s *container.Scroll, screen string) {
	t.Helper()
	if need, have := s.Content.MinSize().Height, s.Size().Height; need > have+0.5 {
		t.Errorf("%s: the content needs %v of height and has %v: it scrolls", screen, need, have)
	}
}

// TestScreensFitTheFirstWindow: with no size of the person's own, the
// window takes its size from its content, and every button of each
// screen (sign-in, with the device code and with the sign-in address;
// profile; metadata) lies inside it, the profile with no scroll bar; the
// sign-in content is centred. A size the person left is used instead.
func TestScreensFitTheFirstWindow(t *testing.T) {
	h := newHarness(t)
	h.open = func(context.Context, string) error { return nil } // a browser that never comes back
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	var signInSize fyne.Size
	onUI(func() {
		size := ui.window.Canvas().Size()
		signInSize = size
		if want := ui.windowSize(naturalSize(ui.window.Content())); size != want {
			t.Errorf("the first window is %v; want %v, from the sign-in screen's content", size, want)
		}
		inside(t, ui, "sign-in")
		top := fyne.CurrentApp().Driver().AbsolutePositionForObject(ui.signIn.body).Y
		bottom := top + ui.signIn.body.MinSize().Height
		if middle, centre := (top+bottom)/2, size.Height/2; middle < centre-10 || middle > centre+10 {
			t.Errorf("the sign-in content runs from y=%v to y=%v; want it centred in the %v window", top, bottom, size)
		}
		test.Tap(ui.signIn.device)
	})
	waitFor(t, "the device code", func() bool { return ui.signIn.devicePanel.Visible() && ui.signIn.userCode.Text != "" })
	onUI(func() {
		inside(t, ui, "sign-in with the device code")
		if size := ui.window.Canvas().Size(); size.Height <= signInSize.Height {
			t.Errorf("with the device code the window is %v; want it taller than the sign-in screen's %v", size, signInSize)
		}
		test.Tap(ui.signIn.cancelBtn)
	})
	waitFor(t, "the sign-in buttons", func() bool { return ui.signIn.buttons.Visible() })
	onUI(func() {
		// Cancelled, the window is back to what the sign-in screen needs.
		if size := ui.window.Canvas().Size(); !sameSize(size, signInSize) {
			t.Errorf("after the device code the window is %v; want %v, the sign-in screen's size", size, signInSize)
		}
	})
	onUI(func() { test.Tap(ui.signIn.browser) })
	waitFor(t, "the sign-in address", func() bool { return ui.signIn.addressPanel.Visible() })
	onUI(func() {
		inside(t, ui, "sign-in with the address")
		test.Tap(ui.signIn.cancelBtn)
	})
	waitFor(t, "the sign-in buttons", func() bool { return ui.signIn.buttons.Visible() })

	h.signInDirectly()
	setServerMetadata(t, h, map[string]any{"theme": "dark", "count": 2, "prefs": map[string]any{"a": 1}, "beta": true, "language": "en"})
	onUI(ui.retryLaunch)
	waitFor(t, "the profile and its details", func() bool { return ui.Screen() == ScreenProfile && ui.profile.detailed })
	onUI(func() {
		inside(t, ui, "profile")
		unscrolled(t, ui.profile.scroll, "profile")
	})
	m := metadataTab(t, ui)
	onUI(func() {
		inside(t, ui, "metadata")
		unscrolled(t, m.scroll, "metadata with five keys")
	})

	// The person's own size, kept when the window closed, comes back.
	h.prefs = map[string]float64{prefWidth: 700, prefHeight: 650}
	again := h.start()
	waitFor(t, "the profile", func() bool { return again.Screen() == ScreenProfile || again.Screen() == ScreenMetadata })
	onUI(func() {
		if size := again.window.Canvas().Size(); size != fyne.NewSize(700, 650) {
			t.Errorf("a window after the person's 700x650 is %v; want the same", size)
		}
	})
}

// TestWindowKeepsThePersonsSize: once the person sizes the window, panels
// that come and go leave it at their size, and closing keeps it for the
// next launch; a window the person never sized keeps no size, and a size
// an earlier Latch kept whoever gave it is dropped.
func TestWindowKeepsThePersonsSize(t *testing.T) {
	h := newHarness(t)
	h.open = func(context.Context, string) error { return nil } // a browser that never comes back
	h.prefs = map[string]float64{"window.width": 480, "window.height": 700}
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	p := ui.fyne.Preferences()
	onUI(func() {
		if size, want := ui.window.Canvas().Size(), ui.windowSize(naturalSize(ui.window.Content())); !sameSize(size, want) {
			t.Errorf("with an earlier Latch's 480x700 kept, the window is %v; want %v, what the sign-in screen needs", size, want)
		}
		for _, key := range legacySizeKeys {
			if v := p.Float(key); v != 0 {
				t.Errorf("the earlier Latch's %s is still kept (%v); want it dropped", key, v)
			}
		}
		// A window that grew by itself to content that needed more (as
		// the driver grows it) is not sized by the person.
		ui.signIn.message.SetText(strings.Repeat("A message that wraps over many lines. ", 12))
		ui.signIn.message.Show()
		ui.window.Resize(ui.fitted.Max(ui.padded(ui.window.Content().MinSize())))
		if ui.sizedByPerson() {
			t.Errorf("a window grown to its content's %v is taken for the person's size", ui.window.Content().MinSize())
		}
		ui.signIn.message.Hide()
		ui.signIn.fit()
		// Unsized by the person, closing keeps no size.
		ui.keepSize()
		if w, h := p.Float(prefWidth), p.Float(prefHeight); w != 0 || h != 0 {
			t.Errorf("a window the person never sized kept %vx%v; want no size", w, h)
		}
	})

	personal := fyne.NewSize(640, 520)
	onUI(func() {
		ui.window.Resize(personal) // as the person drags its corner
		test.Tap(ui.signIn.device)
	})
	waitFor(t, "the device code", func() bool { return ui.signIn.devicePanel.Visible() && ui.signIn.userCode.Text != "" })
	onUI(func() { test.Tap(ui.signIn.cancelBtn) })
	waitFor(t, "the sign-in buttons", func() bool { return ui.signIn.buttons.Visible() })
	onUI(func() {
		if size := ui.window.Canvas().Size(); !sameSize(size, personal) {
			t.Errorf("after the device code came and went the window is %v; want the person's %v", size, personal)
		}
		ui.onClose()
		if w, h := p.Float(prefWidth), p.Float(prefHeight); w != float64(personal.Width) || h != float64(personal.Height) {
			t.Errorf("closing kept %vx%v; want the person's %v", w, h, personal)
		}
	})
}

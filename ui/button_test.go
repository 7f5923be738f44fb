package ui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/latchapp/latch/internal/app/latchapp"
)

// Tab to a button, then Enter: the focused button is pressed (here
// "Use another device", not the browser sign-in that Enter starts when
// nothing has the focus), and the focus shows as a ring.
func TestEnterPressesTheFocusedButton(t *testing.T) {
	h := newHarness(t)
	var browsers atomic.Int32
	h.open = func(context.Context, string) error { browsers.Add(1); return nil }
	ui := h.start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	var ring bool
	onUI(func() {
		ui.window.Canvas().Focus(ui.signIn.device)
		ring = test.WidgetRenderer(ui.signIn.device).(*ringRenderer).ring.Visible()
	})
	if !ring {
		t.Error("the focused button shows no ring; want one")
	}
	onUI(func() { ui.window.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	waitFor(t, "the device code", func() bool { return ui.signIn.userCode.Text != "" })
	if n := browsers.Load(); n != 0 {
		t.Fatalf("Enter on the focused device button opened the browser %d times; want the device sign-in alone", n)
	}
	onUI(func() {
		ui.window.Canvas().Unfocus()
		if test.WidgetRenderer(ui.signIn.device).(*ringRenderer).ring.Visible() {
			t.Error("a button that lost the focus still shows its ring")
		}
	})
}

// F1 and Ctrl+? show the keyboard's list, which names every shortcut the
// window binds; Enter closes it.
func TestTheKeyboardListNamesEveryShortcut(t *testing.T) {
	ui := newHarness(t).start()
	waitFor(t, "sign-in", func() bool { return ui.Screen() == ScreenSignIn })
	typeKey(ui, fyne.KeyF1)
	var text string
	onUI(func() { text = overlayText(ui.window) })
	for _, want := range []string{"About Latch", "Latch " + latchapp.Version(), "Apache License 2.0", "Keyboard shortcuts", "Enter", "Escape", "Ctrl+D", "Ctrl+S", "Ctrl+R", "Ctrl+Shift+Q", "Ctrl+Shift+N", "Ctrl+Shift+E", "Ctrl+1 … Ctrl+9", "Ctrl+,", "F1, Ctrl+?"} {
		if !strings.Contains(text, want) {
			t.Errorf("the keyboard list says:\n%s\nwant it to name %q", text, want)
		}
	}
	typeKey(ui, fyne.KeyReturn)
	waitFor(t, "the list closed", func() bool { return ui.window.Canvas().Overlays().Top() == nil && ui.dialog == nil })
	onUI(func() {
		pressShortcut(t, ui, (&desktop.CustomShortcut{KeyName: fyne.KeySlash, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}).ShortcutName())
	})
	waitFor(t, "the list again", func() bool { return strings.Contains(overlayText(ui.window), "Keyboard shortcuts") })
	var link bool
	onUI(func() { link = findHyperlink(ui.window.Canvas().Overlays().Top(), projectURL) })
	if !link {
		t.Errorf("the help has no link to %s", projectURL)
	}
}

// pressKey types key as the driver does: to the focused object, else to
// the window's canvas.
func pressKey(ui *appWindow, key fyne.KeyName) {
	onUI(func() {
		ev := &fyne.KeyEvent{Name: key}
		if f := ui.window.Canvas().Focused(); f != nil {
			f.TypedKey(ev)
			return
		}
		ui.window.Canvas().OnTypedKey()(ev)
	})
}

// findHyperlink says whether o holds a hyperlink to target.
func findHyperlink(o fyne.CanvasObject, target string) bool {
	switch v := o.(type) {
	case *widget.Hyperlink:
		return v.URL != nil && v.URL.String() == target
	case *fyne.Container:
		for _, c := range v.Objects {
			if findHyperlink(c, target) {
				return true
			}
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			if findHyperlink(c, target) {
				return true
			}
		}
	}
	return false
}

package ui

import (
	"context"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
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

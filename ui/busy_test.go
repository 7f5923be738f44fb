package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// eachObject calls f with o and every object in its tree (the objects
// of containers, the renderers' objects of widgets); with visibleOnly,
// hidden ones and their trees are left out.
func eachObject(o fyne.CanvasObject, visibleOnly bool, f func(fyne.CanvasObject)) {
	if visibleOnly && !o.Visible() {
		return
	}
	f(o)
	switch v := o.(type) {
	case *fyne.Container:
		for _, c := range v.Objects {
			eachObject(c, visibleOnly, f)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			eachObject(c, visibleOnly, f)
		}
	}
}

// runningBars finds the infinite progress bars in o's tree that animate.
func runningBars(o fyne.CanvasObject) []*widget.ProgressBarInfinite {
	var found []*widget.ProgressBarInfinite
	eachObject(o, false, func(o fyne.CanvasObject) {
		if bar, ok := o.(*widget.ProgressBarInfinite); ok && bar.Running() {
			found = append(found, bar)
		}
	})
	return found
}

// TestNothingAnimatesWhenIdle: the bar of the screen that waits for the
// launch decision stops when the profile replaces it, and the profile,
// its metadata tab and the sign-in screen animate nothing while idle.
func TestNothingAnimatesWhenIdle(t *testing.T) {
	h := newHarness(t)
	h.signInDirectly()
	ui := h.start()
	waitFor(t, "the profile", func() bool { return ui.Screen() == ScreenProfile })
	var waiting []*widget.ProgressBarInfinite
	onUI(func() {
		ui.showWaiting("Checking your session…")
		waiting = runningBars(ui.window.Content())
	})
	if len(waiting) != 1 {
		t.Fatalf("the waiting screen shows %d running bars; want 1", len(waiting))
	}
	onUI(func() { ui.retryLaunch() })
	waitFor(t, "the profile again", func() bool { return ui.Screen() == ScreenProfile })
	waitFor(t, "the waiting screen's bar to stop", func() bool { return !waiting[0].Running() })
	onUI(func() {
		if bars := runningBars(ui.window.Content()); len(bars) != 0 {
			t.Errorf("the profile shows %d running bars; want none", len(bars))
		}
		ui.tabs.SelectIndex(1)
	})
	waitFor(t, "the metadata loaded", func() bool { return ui.metadata.loaded != nil && !ui.metadata.busy })
	onUI(func() {
		if bars := runningBars(ui.window.Content()); len(bars) != 0 {
			t.Errorf("the idle metadata tab shows %d running bars; want none", len(bars))
		}
	})
}

func TestBusyRunsOnlyWhileShown(t *testing.T) {
	onUI(func() {
		b := newBusy()
		w := test.NewTempWindow(t, b.Slot)
		b.show()
		w.Canvas().Refresh(b.Slot)
		if !b.running() || len(runningBars(b.Slot)) != 1 {
			t.Fatal("a shown busy bar does not run")
		}
		bar := b.bar
		b.hide()
		if bar.Running() || len(b.Slot.Objects) != 0 {
			t.Fatal("a hidden busy bar still runs, or stays in the layout")
		}
	})
}

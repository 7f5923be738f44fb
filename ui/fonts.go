package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// firstScreenStyles are the text styles of the first screen Latch shows
// (the profile or the sign-in screen): regular text, and the bold of
// Fyne's buttons, tabs, form labels and card titles.
var firstScreenStyles = []fyne.TextStyle{{}, {Bold: true}}

// loadFonts has Fyne load the font faces of the first screen on a
// goroutine of its own, and returns a function that waits until it has.
//
// Fyne loads a face, and looks up the system's font for the locale beside
// it, the first time text of its style is measured: tens of milliseconds,
// which would otherwise be spent building the first screen, after Fyne has
// connected to the display. Run calls it once the app exists (text is
// measured through its driver) and before it makes the window, so the
// faces load while the window is made, and waits before the first screen
// is built. Nothing else measures text in between: Fyne's text shaping is
// not safe for use by two goroutines at once.
func loadFonts() (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, style := range firstScreenStyles {
			fyne.MeasureText("Latch", theme.TextSize(), style)
		}
	}()
	return func() { <-done }
}

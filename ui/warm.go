package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// warmFonts loads the font faces that the first screen draws with (Fyne
// loads a face the first time a text of its style is measured), on the
// goroutine it is called on: at launch, while Fyne makes the window on
// the main one. Fyne's font cache is safe for concurrent use.
func warmFonts() {
	size := theme.TextSize()
	for _, style := range []fyne.TextStyle{{}, {Bold: true}, {Italic: true}, {Monospace: true}} {
		fyne.MeasureText("Latch", size, style)
	}
	fyne.MeasureText("Latch", theme.TextSubHeadingSize(), fyne.TextStyle{Bold: true})
}

package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// latchTheme is Fyne's theme with every colour the app draws text in at
// least 4.5:1 against the backgrounds it is drawn on, in both variants
// (WCAG's AA for text): Fyne's light "verified" green is 1.5:1 on white,
// its red 3.7:1, its blue 4.5:1 as text and 4.0:1 on the dark
// background. theme_test.go checks every pair.
//
// variant, when the person chose one in Settings (see settings.go), is
// the variant drawn whatever the system prefers; unset, the system's
// preference is followed (Fyne reads the freedesktop portal's
// color-scheme and follows its changes).
type latchTheme struct {
	fyne.Theme
	variant *fyne.ThemeVariant
}

// textColours are the colours latchTheme changes, by variant.
var textColours = map[fyne.ThemeVariant]map[fyne.ThemeColorName]color.Color{
	theme.VariantLight: {
		theme.ColorNameSuccess:     color.NRGBA{R: 0x1b, G: 0x7a, B: 0x2a, A: 0xff},
		theme.ColorNameError:       color.NRGBA{R: 0xc4, G: 0x26, B: 0x1d, A: 0xff},
		theme.ColorNamePrimary:     color.NRGBA{R: 0x1a, G: 0x5c, B: 0xd6, A: 0xff},
		theme.ColorNameHyperlink:   color.NRGBA{R: 0x1a, G: 0x5c, B: 0xd6, A: 0xff},
		theme.ColorNamePlaceHolder: color.NRGBA{R: 0x6a, G: 0x6a, B: 0x6a, A: 0xff},
	},
	theme.VariantDark: {
		theme.ColorNamePrimary:   color.NRGBA{R: 0x1a, G: 0x5c, B: 0xd6, A: 0xff},
		theme.ColorNameHyperlink: color.NRGBA{R: 0x6f, G: 0xa0, B: 0xff, A: 0xff},
		theme.ColorNameError:     color.NRGBA{R: 0xff, G: 0x6b, B: 0x5e, A: 0xff},
	},
}

// Color is the theme's colour n in variant v.
func (t latchTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.variant != nil {
		v = *t.variant
	}
	if c, ok := textColours[v][n]; ok {
		return c
	}
	return t.Theme.Color(n, v)
}

package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// luminance is c's relative luminance (WCAG 2).
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	channel := func(v uint32) float64 {
		x := float64(v) / 0xffff
		if x <= 0.03928 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(r) + 0.7152*channel(g) + 0.0722*channel(b)
}

// contrast is the WCAG contrast ratio of a and b.
func contrast(a, b color.Color) float64 {
	hi, lo := luminance(a), luminance(b)
	if hi < lo {
		hi, lo = lo, hi
	}
	return (hi + 0.05) / (lo + 0.05)
}

func TestEveryTextColourReadsOnEveryBackground(t *testing.T) {
	th := latchTheme{Theme: theme.DefaultTheme()}
	texts := []fyne.ThemeColorName{theme.ColorNameForeground, theme.ColorNameSuccess, theme.ColorNameError, theme.ColorNameHyperlink, theme.ColorNamePlaceHolder}
	backgrounds := []fyne.ThemeColorName{theme.ColorNameBackground, theme.ColorNameButton, theme.ColorNameInputBackground, theme.ColorNameOverlayBackground, theme.ColorNameMenuBackground}
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		for _, text := range texts {
			for _, bg := range backgrounds {
				if c := contrast(th.Color(text, v), th.Color(bg, v)); c < 4.5 {
					t.Errorf("variant %d: %s on %s is %.2f:1; want at least 4.5:1", v, text, bg, c)
				}
			}
		}
		if c := contrast(th.Color(theme.ColorNameForegroundOnPrimary, v), th.Color(theme.ColorNamePrimary, v)); c < 4.5 {
			t.Errorf("variant %d: a default button's text is %.2f:1 on its colour; want at least 4.5:1", v, c)
		}
		// The focus ring (see button) is drawn in the foreground colour.
		for _, bg := range []fyne.ThemeColorName{theme.ColorNameBackground, theme.ColorNameOverlayBackground} {
			if c := contrast(th.Color(theme.ColorNameForeground, v), th.Color(bg, v)); c < 3 {
				t.Errorf("variant %d: the focus ring is %.2f:1 on %s; want at least 3:1", v, c, bg)
			}
		}
	}
}

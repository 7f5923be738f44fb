package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// The window's size follows its content until the person gives it one:
// each screen, and each panel that comes or goes on it, sizes the window
// to what it needs (never smaller than minWindow, at most maxFitted),
// growing or shrinking. Once the person sizes the window, that size is
// kept, in the preferences when the window closes, and used from then on.
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

// fitWindow sizes the window to show content whole (see fitSize).
func (a *appWindow) fitWindow(content fyne.CanvasObject, scrolls ...*container.Scroll) {
	a.fitSize(func() fyne.Size { return naturalSize(content, scrolls...) })
}

// fitTabs sizes the window for the profile and metadata tabs alike (the
// larger of what each needs, and the tab bar), so that choosing a tab
// does not resize it.
func (a *appWindow) fitTabs() {
	a.fitSize(func() fyne.Size {
		profileTab, metadataTab := a.tabs.Items[0].Content, a.tabs.Items[1].Content
		need := naturalSize(profileTab, a.profile.scroll).Max(naturalSize(metadataTab, a.metadata.scroll))
		// The tabs' minimum is their largest content's and the bar's.
		bar := a.tabs.MinSize().Height - profileTab.MinSize().Max(metadataTab.MinSize()).Height
		return fyne.NewSize(max(need.Width, a.tabs.MinSize().Width), need.Height+bar)
	})
}

// fitSize gives the window the size need says, within minWindow and
// maxFitted, unless the person has a size of their own. Text that wraps
// needs more height in a narrower window: need is asked again once the
// content is laid out at the new size, a few times at most.
func (a *appWindow) fitSize(need func() fyne.Size) {
	if a.sizedByPerson() {
		return
	}
	for range 3 {
		n := need()
		if a.bar != nil {
			bar := a.bar.box.MinSize()
			n = fyne.NewSize(max(n.Width, bar.Width), n.Height+bar.Height+theme.Padding())
		}
		want := a.windowSize(n)
		if sameSize(a.window.Canvas().Size(), want) {
			break
		}
		a.window.Resize(want)
	}
	a.fitted = a.window.Canvas().Size()
}

// windowSize is the size of window that gives content of size need the
// room it needs: need with the window's padding around it, within
// minWindow and maxFitted.
func (a *appWindow) windowSize(need fyne.Size) fyne.Size {
	return a.padded(need).Max(minWindow).Min(maxFitted)
}

// padded is content of size content with the window's padding around it.
func (a *appWindow) padded(content fyne.Size) fyne.Size {
	if a.window.Padded() {
		return content.AddWidthHeight(2*theme.Padding(), 2*theme.Padding())
	}
	return content
}

// sizedByPerson reports whether the person has given the window a size:
// one from the preferences, or one the window has now that fitWindow did
// not give it. The window growing by itself to its content's minimum
// size is not the person's doing.
func (a *appWindow) sizedByPerson() bool {
	if a.personSized {
		return true
	}
	if a.fitted.IsZero() {
		return false
	}
	have := a.window.Canvas().Size()
	if sameSize(have, a.fitted) || sameSize(have, a.fitted.Max(a.padded(a.window.Content().MinSize()))) {
		return false
	}
	a.personSized = true
	return true
}

// sameSize reports whether a and b differ by less than a unit each way,
// what a window's scale may round away.
func sameSize(a, b fyne.Size) bool {
	return abs(a.Width-b.Width) < 1 && abs(a.Height-b.Height) < 1
}

func abs(f float32) float32 {
	if f < 0 {
		return -f
	}
	return f
}

// sizeFromPreferences gives the window the size the person left it at,
// and reports whether there was one. Sizes an earlier Latch kept under
// other keys, which it kept whoever gave them, are dropped.
func (a *appWindow) sizeFromPreferences() bool {
	p := a.fyne.Preferences()
	for _, key := range legacySizeKeys {
		p.RemoveValue(key)
	}
	w, h := p.Float(prefWidth), p.Float(prefHeight)
	if w <= 0 || h <= 0 {
		return false
	}
	a.window.Resize(fyne.NewSize(float32(w), float32(h)))
	return true
}

// keepSize keeps the window's size in the preferences when the person
// gave it, and forgets any kept size otherwise.
func (a *appWindow) keepSize() {
	p := a.fyne.Preferences()
	if !a.sizedByPerson() {
		p.RemoveValue(prefWidth)
		p.RemoveValue(prefHeight)
		return
	}
	size := a.window.Canvas().Size()
	p.SetFloat(prefWidth, float64(size.Width))
	p.SetFloat(prefHeight, float64(size.Height))
}

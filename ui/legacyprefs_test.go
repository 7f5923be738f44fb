package ui

import (
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestLegacyPreferencesAdopted: the tab an earlier Latch (under its
// former application ID) kept comes back, and its folder goes.
func TestLegacyPreferencesAdopted(t *testing.T) {
	legacy := filepath.Join(t.TempDir(), legacyAppID)
	if err := os.MkdirAll(legacy, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(legacy, "preferences.json"), []byte(`{"window.tab":"metadata","window.width":480,"window.height":700}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var tab string
	var width float64
	onUI(func() {
		prefs := test.NewTempApp(t).Preferences()
		adoptLegacyPreferences(prefs, legacy)
		tab, width = prefs.String(prefLastTab), prefs.Float(prefWidth)
		adoptLegacyPreferences(prefs, legacy) // nothing left: no change
	})
	if tab != ScreenMetadata || width != 0 {
		t.Errorf("adopted tab %q and width %v; want the metadata tab and no width", tab, width)
	}
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Errorf("the earlier Latch's folder: %v; want it removed", err)
	}
}

package ui

import (
	"encoding/json"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
)

// legacyAppID is the application ID Latch had before AppID, under which
// Fyne kept its preferences.
const legacyAppID = "app.latch.desktop"

// adoptLegacyPreferences carries what an earlier Latch kept in legacyDir
// (the tab last shown) into prefs, then removes legacyDir. A window size
// it kept is not carried over: it was kept whoever gave it (see
// sizeFromPreferences).
func adoptLegacyPreferences(prefs fyne.Preferences, legacyDir string) {
	data, err := os.ReadFile(filepath.Join(legacyDir, "preferences.json"))
	if err != nil {
		return
	}
	var old map[string]any
	if json.Unmarshal(data, &old) == nil {
		if tab, ok := old[prefLastTab].(string); ok && prefs.String(prefLastTab) == "" {
			prefs.SetString(prefLastTab, tab)
		}
	}
	_ = os.RemoveAll(legacyDir)
}

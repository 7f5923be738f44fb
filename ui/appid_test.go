package ui

import (
	"os"
	"regexp"
	"testing"
)

// TestOneAppID: the application ID the app runs under (which names its
// preferences' folder and, on Wayland, matches its window to its desktop
// entry) is FyneApp.toml's, which names the entry and the icon that
// `fyne package` makes; and it is a reverse-DNS name.
func TestOneAppID(t *testing.T) {
	toml, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	id := ""
	if m := regexp.MustCompile(`(?m)^ID = "([^"]+)"`).FindSubmatch(toml); m != nil {
		id = string(m[1])
	}
	if id != AppID {
		t.Fatalf("FyneApp.toml's ID is %q; want the app's own, %q", id, AppID)
	}
	if !regexp.MustCompile(`^[a-z]+(\.[a-z][a-z0-9]*)+\.[A-Za-z][A-Za-z0-9]*$`).MatchString(AppID) {
		t.Errorf("the app ID %q is not a reverse-DNS name", AppID)
	}
}

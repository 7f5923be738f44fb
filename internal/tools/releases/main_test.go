package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// CHANGELOG.md has a release for FyneApp.toml's version, and the
// metainfo made from it lists each release with its items, and passes
// appstreamcli's validation where it is installed.
func TestMetainfoReleasesFromTheChangelog(t *testing.T) {
	changelog, err := os.ReadFile("../../../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	app, err := os.ReadFile("../../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	version := regexp.MustCompile(`(?m)^Version *= *"([^"]+)"`).FindStringSubmatch(string(app))
	list, err := releases(string(changelog))
	if err != nil {
		t.Fatal(err)
	}
	if version == nil || list[0].version != version[1] {
		t.Fatalf("the changelog's newest release is %s; want FyneApp.toml's version %v first", list[0].version, version)
	}
	metainfo, err := os.ReadFile("../../../packaging/io.github.latchapp.Latch.metainfo.xml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := withReleases(string(metainfo), string(changelog))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if !strings.Contains(out, `<release version="`+r.version+`" date="`+r.date+`">`) {
			t.Errorf("the metainfo lists no release %s of %s", r.version, r.date)
		}
	}
	if strings.Count(out, "<li>")-strings.Count(string(metainfo), "<li>") != len(list[0].items) || strings.Contains(out, "@VERSION@") {
		t.Errorf("the metainfo's releases:\n%s", out[strings.Index(out, "<releases>"):])
	}
	if _, err := exec.LookPath("appstreamcli"); err != nil {
		t.Skip("no appstreamcli: scripts/deps test installs it")
	}
	file := filepath.Join(t.TempDir(), "io.github.latchapp.Latch.metainfo.xml")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("appstreamcli", "validate", "--no-net", "--pedantic", file).CombinedOutput(); err != nil {
		t.Fatalf("appstreamcli validate: %v\n%s", err, b)
	}
}

// A changelog's Unreleased section and its prose are not releases; a
// release with nothing in it is refused.
func TestReleasesReadTheHeadings(t *testing.T) {
	list, err := releases("# Changelog\n\nintro\n\n## [Unreleased]\n\n- soon\n\n## [1.1.0] - 2027-01-02\n\n### Fixed\n\n- a `bug`, in\n  two lines\n\n## [1.0.0] - 2026-12-07\n\n- first\n")
	if err != nil || len(list) != 2 || list[0].version != "1.1.0" || list[0].items[0] != "a `bug`, in two lines" || list[1].date != "2026-12-07" {
		t.Fatalf("releases read as %+v, %v", list, err)
	}
	if _, err := releases("## [1.0.0] - 2026-12-07\n\nnothing listed\n"); err == nil {
		t.Error("a release with no items was taken")
	}
}

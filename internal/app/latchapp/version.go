package latchapp

import (
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

// version, commit and commitDate are set at link time by a release build
// (scripts/package, from FyneApp.toml's Version and the commit built):
// -ldflags "-X github.com/latchapp/latch/internal/app/latchapp.version=1.2.3 ...".
var version, commit, commitDate string

// Version is this build's version: the one a release build was given,
// else the module's version, else the commit it was built from (with
// "+dirty" for changes not committed), else "devel".
func Version() string { return versionOnce() }

var versionOnce = sync.OnceValue(func() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var revision, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			revision = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if revision == "" {
		return "devel"
	}
	return "devel-" + revision + dirty
})

// VersionLine is what --version prints: the version, and where known the
// commit built and its date, and the Go toolchain and platform:
// "Latch 0.1.0 (commit 1a2b3c4d5e6f, 2026-12-07; go1.25.4 linux/amd64)".
func VersionLine() string {
	c, date := commit, commitDate
	if info, ok := debug.ReadBuildInfo(); ok && c == "" {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				c = s.Value
			case "vcs.time":
				date = s.Value
			}
		}
	}
	var parts []string
	if len(c) >= 12 {
		what := "commit " + c[:12]
		if len(date) >= 10 {
			what += ", " + date[:10]
		}
		parts = append(parts, what)
	}
	parts = append(parts, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)
	return "Latch " + Version() + " (" + strings.Join(parts, "; ") + ")"
}

package latchapp

import (
	"runtime/debug"
	"sync"
)

// version is set at link time by a release build:
// -ldflags "-X github.com/latchapp/latch/internal/app/latchapp.version=v1.2.3".
var version string

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

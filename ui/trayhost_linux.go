//go:build linux

package ui

import (
	"sync"

	"github.com/latchapp/latch/base/secretservice"
)

// trayHost reports whether the desktop shows tray icons: on Linux, when a
// StatusNotifierWatcher (KDE, GNOME's AppIndicator extension, most
// panels) is on the session bus. Without one a tray icon is never seen,
// and Fyne would still make a hidden window for it at launch (about 70 ms
// on the project's machine). Asked once.
var trayHost = sync.OnceValue(func() bool {
	conn, err := secretservice.SessionBus()
	if err != nil {
		return false // no session bus, so no tray host on it
	}
	owned, err := secretservice.HasOwner(conn, "org.kde.StatusNotifierWatcher")
	return err == nil && owned
})

//go:build linux

package ui

import (
	"os"
	"sync"

	"github.com/godbus/dbus/v5"
)

// trayHost reports whether the desktop shows tray icons: on Linux, when a
// StatusNotifierWatcher (KDE, GNOME's AppIndicator extension, most
// panels) is on the session bus. Without one a tray icon is never seen,
// and Fyne would still make a hidden window for it at launch (about 70 ms
// on the project's machine). Asked once.
var trayHost = sync.OnceValue(func() bool {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return false // no session bus, so no tray host on it
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	var owned bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&owned)
	return err == nil && owned
})

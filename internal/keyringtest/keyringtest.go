//go:build linux

// Package keyringtest looks into the real Secret Service for tests: how
// many items an application left there.
package keyringtest

import (
	"testing"

	"github.com/godbus/dbus/v5"
)

// Items counts the Secret Service items whose service attribute is
// service, locked or not.
func Items(t testing.TB, service string) int {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	var unlocked, locked []dbus.ObjectPath
	call := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").
		Call("org.freedesktop.Secret.Service.SearchItems", 0, map[string]string{"service": service})
	if err := call.Store(&unlocked, &locked); err != nil {
		t.Fatal(err)
	}
	return len(unlocked) + len(locked)
}

//go:build linux

package session

import (
	"testing"

	"github.com/godbus/dbus/v5"
)

// latchItems counts the Secret Service items whose service attribute is
// service, locked or not.
func latchItems(t *testing.T, service string) int {
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

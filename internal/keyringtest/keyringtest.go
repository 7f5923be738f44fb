//go:build linux

// Package keyringtest looks into the real Secret Service for tests: whether
// it works, and how many items an application left there.
package keyringtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"latch/internal/peers"
)

// Require ends the test when no Secret Service works on this machine:
// skipped under a plain go test, failed under scripts/test.
func Require(t testing.TB) {
	t.Helper()
	service := fmt.Sprintf("latch-probe-%d", time.Now().UnixNano())
	done := make(chan error, 1)
	go func() {
		err := keyring.Set(service, "probe", "probe")
		if err == nil {
			err = keyring.Delete(service, "probe")
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			peers.Missing(t, "the Secret Service", err.Error())
		}
	case <-time.After(20 * time.Second):
		peers.Missing(t, "the Secret Service", "it did not answer within 20 seconds")
	}
}

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

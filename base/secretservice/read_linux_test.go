//go:build linux

package secretservice

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"github.com/latchapp/latch/internal/testing/keyringtest"
)

// The quick read gives what go-keyring's read gives, for items go-keyring
// wrote, and says "not found" as go-keyring does.
func TestQuickReadMatchesGoKeyring(t *testing.T) {
	keyringtest.Require(t)
	service := fmt.Sprintf("latch-quickread-%d", time.Now().UnixNano())
	values := map[string]string{
		"plain":   "t:{\"access_token\":\"abc\"}",
		"unicode": "t:Zoë ✓ 名前\ttab\nline",
		"long":    fmt.Sprintf("%01800d", 7),
	}
	for user, value := range values {
		if err := keyring.Set(service, user, value); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = keyring.Delete(service, user) })
	}
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	for user, value := range values {
		got, err := read(t.Context(), addr, service, user)
		if err != nil || got != value {
			t.Errorf("quick read of %q gave %q, %v; want %q", user, got, err, value)
		}
		slow, err := keyring.Get(service, user)
		if err != nil || slow != got {
			t.Errorf("go-keyring read %q as %q, %v; the quick read gave %q", user, slow, err, got)
		}
	}
	if got, err := read(t.Context(), addr, service, "absent"); !errors.Is(err, ErrNotFound) {
		t.Errorf("quick read of a missing item gave %q, %v; want ErrNotFound", got, err)
	}
	if got, err := Read(t.Context(), service, "plain"); err != nil || got != values["plain"] {
		t.Errorf("Read gave %q, %v; want %q", got, err, values["plain"])
	}
}

// A locked item, and a Secret Service that is not the one expected, are
// left to go-keyring's read, which unlocks: the quick read never answers
// "not found" for them.
func TestQuickReadLeavesWhatItCannotAnswer(t *testing.T) {
	t.Run("locked", func(t *testing.T) {
		addr := keyringtest.PrivateKeyring(t)
		conn, err := dbus.Connect(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		secrets := conn.Object(serviceName, servicePath)
		// An item in the login collection, made as go-keyring makes one.
		createItem(t, conn, "/org/freedesktop/secrets/collection/login", "v")
		if got, err := read(t.Context(), addr, "s", "u"); err != nil || got != "v" {
			t.Fatalf("unlocked, the quick read gave %q, %v; want \"v\"", got, err)
		}
		var locked []dbus.ObjectPath
		var prompt dbus.ObjectPath
		if err := secrets.Call(serviceIface+".Lock", 0, []dbus.ObjectPath{"/org/freedesktop/secrets/collection/login"}).Store(&locked, &prompt); err != nil || len(locked) != 1 {
			t.Fatalf("locking the private keyring: %v %v", locked, err)
		}
		if got, err := read(t.Context(), addr, "s", "u"); !errors.Is(err, ErrCannotAnswer) {
			t.Errorf("locked, the quick read gave %q, %v; want it left to go-keyring", got, err)
		}
	})
	t.Run("another service", func(t *testing.T) {
		_, addr := privateBus(t, "")
		other, err := dbus.Connect(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if reply, err := other.RequestName(serviceName, 0); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("owning %s: %v %v", serviceName, reply, err)
		}
		if got, err := read(t.Context(), addr, "s", "u"); !errors.Is(err, ErrCannotAnswer) {
			t.Errorf("against a service that exports nothing the quick read gave %q, %v; want it left to go-keyring", got, err)
		}
	})
}

// A process that reads again reuses its connection; one that has gone bad
// meanwhile (the bus restarted, say) is replaced, and the read answers.
func TestQuickReadReusesItsConnection(t *testing.T) {
	keyringtest.Require(t)
	service := fmt.Sprintf("latch-quickread-%d", time.Now().UnixNano())
	if err := keyring.Set(service, "u", "v"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = keyring.Delete(service, "u") })
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if got, err := read(t.Context(), addr, service, "u"); err != nil || got != "v" {
		t.Fatalf("the first read gave %q, %v; want \"v\"", got, err)
	}
	idle.Lock()
	kept := idle.client
	idle.Unlock()
	if kept == nil {
		t.Fatal("no connection was kept after a read")
	}
	if got, err := read(t.Context(), addr, service, "u"); err != nil || got != "v" {
		t.Fatalf("the second read gave %q, %v; want \"v\"", got, err)
	}
	idle.Lock()
	if idle.client != kept {
		t.Error("the second read did not reuse the kept connection")
	}
	idle.Unlock()
	kept.close()
	if got, err := read(t.Context(), addr, service, "u"); err != nil || got != "v" {
		t.Fatalf("after the kept connection closed, the read gave %q, %v; want \"v\"", got, err)
	}
	idle.Lock()
	defer idle.Unlock()
	if idle.client == nil || idle.client == kept {
		t.Error("the closed connection was not replaced by a fresh one")
	}
}

// createItem makes an item of the attributes service "s" and username "u",
// holding value, in the collection at path, as go-keyring makes one.
func createItem(t *testing.T, conn *dbus.Conn, collection dbus.ObjectPath, value string) {
	t.Helper()
	var output dbus.Variant
	var session dbus.ObjectPath
	if err := conn.Object(serviceName, servicePath).Call(serviceIface+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&output, &session); err != nil {
		t.Fatal(err)
	}
	props := map[string]dbus.Variant{
		"org.freedesktop.Secret.Item.Label":      dbus.MakeVariant("test"),
		"org.freedesktop.Secret.Item.Attributes": dbus.MakeVariant(map[string]string{"username": "u", "service": "s"}),
	}
	secret := struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}{session, []byte{}, []byte(value), "text/plain"}
	var item, prompt dbus.ObjectPath
	if err := conn.Object(serviceName, collection).Call("org.freedesktop.Secret.Collection.CreateItem", 0, props, secret, true).Store(&item, &prompt); err != nil {
		t.Fatalf("creating an item in %s: %v", collection, err)
	}
}

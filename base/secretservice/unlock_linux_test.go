package secretservice

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/internal/testing/keyringtest"
)

// Unlocking what is unlocked asks nobody; a locked keyring is asked to
// unlock, which is said (with the keychain's name) before its question
// is answered; a question that cannot be shown (no prompter on this bus)
// ends as declined, at once, not at the deadline.
func TestUnlockSaysWhenTheKeychainAsks(t *testing.T) {
	addr := keyringtest.PrivateKeyring(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	createItem(t, conn, "/org/freedesktop/secrets/collection/login", "v")
	var asked []string
	asking := func(keeper string) { asked = append(asked, keeper) }

	if err := unlockService(t.Context(), conn, "s", asking); err != nil || len(asked) != 0 {
		t.Fatalf("unlocking an unlocked keyring: %v, asked %q; want nil and nobody asked", err, asked)
	}

	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := conn.Object(serviceName, servicePath).Call(serviceIface+".Lock", 0, []dbus.ObjectPath{"/org/freedesktop/secrets/collection/login"}).Store(&locked, &prompt); err != nil || len(locked) != 1 {
		t.Fatalf("locking the private keyring: %v %v", locked, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	start := time.Now()
	err = unlockService(ctx, conn, "s", asking)
	if !errors.Is(err, ErrDismissed) || len(asked) != 1 || asked[0] != "GNOME Keyring" {
		t.Fatalf("unlocking a locked keyring without a prompter: %v, asked %q; want ErrDismissed after asking as GNOME Keyring", err, asked)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the declined question took %s, want it to end at once", took.Round(time.Millisecond))
	}
}

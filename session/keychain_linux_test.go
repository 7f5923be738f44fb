//go:build linux

package session

import (
	"errors"
	"testing"
	"time"
)

// TestKeychainWithoutSecretServiceFailsAtOnce uses the real keychain code
// on a machine without a D-Bus session: it must say the service is missing
// instead of waiting for its timeout (here a minute, far longer than the
// test takes).
func TestKeychainWithoutSecretServiceFailsAtOnce(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	k := &Keychain{Service: "latch-test-missing", Timeout: time.Minute}
	_, err := k.Get(t.Context(), "creds")
	if !errors.Is(err, ErrKeychainMissing) {
		t.Fatalf("got %v, want ErrKeychainMissing", err)
	}
}

//go:build linux

package session

import (
	"errors"
	"testing"
)

// TestKeychainProbeSaysMissingAtOnce asks the probe that runs beside
// every real keychain call on a machine without a D-Bus session: it must
// say that the keychain service is missing, without asking anything (the
// call would wait for its timeout). It does not call the real keychain:
// a D-Bus connection attempted without a session would stay stuck for the
// rest of this test process.
func TestKeychainProbeSaysMissingAtOnce(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if err := probeKeychain(); !errors.Is(err, ErrKeychainMissing) {
		t.Fatalf("the probe gave %v, want ErrKeychainMissing", err)
	}
}

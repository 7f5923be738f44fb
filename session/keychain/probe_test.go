package keychain

import (
	"errors"
	"runtime"
	"testing"
)

// TestKeychainProbeSaysMissingAtOnce asks the probe that runs beside
// every real keychain call on a Linux machine without a D-Bus session: it
// must say that the keychain service is missing, without asking anything
// (the call would wait for its timeout). It does not call the real
// keychain: a D-Bus connection attempted without a session would stay
// stuck for the rest of this test process.
func TestKeychainProbeSaysMissingAtOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service is Linux's")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if err := probeKeychain(); !errors.Is(err, ErrMissing) {
		t.Fatalf("the probe gave %v, want ErrMissing", err)
	}
}

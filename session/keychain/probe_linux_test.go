//go:build linux

package keychain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/internal/sessionbus"
	"github.com/latchapp/latch/internal/testing/keyringtest"
)

// TestKeychainProbeSaysMissingAtOnce asks the probe that runs beside
// every real keychain call on a machine without a D-Bus session: it must
// say that the keychain service is missing, without asking anything (the
// call would wait for its timeout). It does not call the real keychain:
// a D-Bus connection attempted without a session would stay stuck for the
// rest of this test process.
func TestKeychainProbeSaysMissingAtOnce(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if err := probeKeychain(); !errors.Is(err, ErrMissing) {
		t.Fatalf("the probe gave %v, want ErrMissing", err)
	}
}

// privateBus connects to a D-Bus session of its own (see
// [keyringtest.PrivateBus]); it returns the connection and the address.
func privateBus(t *testing.T, service string) (*dbus.Conn, string) {
	t.Helper()
	addr := keyringtest.PrivateBus(t, service)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, addr
}

// A Secret Service that D-Bus can start but that never comes up (or
// fails at once) is reported missing once the activation wait is over,
// and none installed at all at once; one running is not.
func TestKeychainProbeOnAPrivateBus(t *testing.T) {
	const wait = 500 * time.Millisecond
	for _, c := range []struct {
		name, service string
		want          string // in the error; "" for none
	}{
		{"none installed", "", "no Secret Service"},
		{"starts and never answers", "/bin/sleep 20", "did not start"},
		{"fails at once", "/bin/false", "did not start"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, _ := privateBus(t, c.service)
			if err := probeBus(conn, wait); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("the probe gave %v; want ErrMissing saying %q", err, c.want)
			}
		})
	}
	t.Run("running", func(t *testing.T) {
		conn, addr := privateBus(t, "")
		service, err := dbus.Connect(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer service.Close()
		if reply, err := service.RequestName(sessionbus.SecretsName, 0); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("owning %s: %v %v", sessionbus.SecretsName, reply, err)
		}
		if err := probeBus(conn, wait); err != nil {
			t.Errorf("with a Secret Service on the bus the probe gave %v; want nil", err)
		}
	})
}

//go:build linux

package secretservice

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/internal/testing/keyringtest"
)

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
func TestProbeOnAPrivateBus(t *testing.T) {
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
			if err := probe(conn, wait); !errors.Is(err, ErrAbsent) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("the probe gave %v; want ErrAbsent saying %q", err, c.want)
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
		if reply, err := service.RequestName(serviceName, 0); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("owning %s: %v %v", serviceName, reply, err)
		}
		if err := probe(conn, wait); err != nil {
			t.Errorf("with a Secret Service on the bus the probe gave %v; want nil", err)
		}
	})
}

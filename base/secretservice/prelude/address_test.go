package prelude

import (
	"errors"
	"testing"
)

func TestSocketPath(t *testing.T) {
	for _, c := range []struct {
		addr, want string
		err        error
	}{
		{"unix:path=/run/user/1000/bus", "/run/user/1000/bus", nil},
		{"unix:path=/tmp/dbus-ftvzHLxf9h,guid=5e3a1d9c0b6f", "/tmp/dbus-ftvzHLxf9h", nil},
		{"unix:abstract=/tmp/dbus-XYZ,guid=1", "@/tmp/dbus-XYZ", nil},
		{"unix:guid=1,path=/tmp/x", "/tmp/x", nil},
		{"unix:path=/tmp/with%20space%2c", "/tmp/with space,", nil},
		{"tcp:host=localhost,port=1234;unix:path=/tmp/second", "/tmp/second", nil},
		{"tcp:host=localhost,port=1234", "", ErrUnsupported},
		{"unix:runtime=yes", "", ErrUnsupported},
		{"autolaunch:", "", ErrUnsupported},
		{"", "", ErrUnsupported},
	} {
		got, err := socketPath(c.addr)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("socketPath(%q) = %q, %v; want %q, %v", c.addr, got, err, c.want, c.err)
		}
	}
	if got, err := socketPath("unix:path=/tmp/bad%2"); err == nil {
		t.Errorf("a malformed escape gave %q; want an error", got)
	}
}

//go:build linux

package prelude

import (
	"bytes"
	"testing"

	"github.com/godbus/dbus/v5"
)

// The prelude is the NUL byte, EXTERNAL authentication as the user (the
// decimal uid, hex-encoded), BEGIN, and a Hello that the D-Bus library
// reads back as the bus's Hello with the serial helloSerial; nothing else.
func TestPreludeIsAuthenticationThenHello(t *testing.T) {
	b := prelude(1000)
	auth := "\x00AUTH EXTERNAL 31303030\r\nBEGIN\r\n"
	if !bytes.HasPrefix(b, []byte(auth)) {
		t.Fatalf("the prelude starts %q; want %q", b[:min(len(b), len(auth))], auth)
	}
	rest := bytes.NewReader(b[len(auth):])
	msg, err := dbus.DecodeMessage(rest)
	if err != nil {
		t.Fatalf("the Hello does not decode: %v", err)
	}
	want := map[dbus.HeaderField]any{
		dbus.FieldDestination: "org.freedesktop.DBus",
		dbus.FieldPath:        dbus.ObjectPath("/org/freedesktop/DBus"),
		dbus.FieldInterface:   "org.freedesktop.DBus",
		dbus.FieldMember:      "Hello",
	}
	for field, value := range want {
		if got := msg.Headers[field].Value(); got != value {
			t.Errorf("header field %d is %v; want %v", field, got, value)
		}
	}
	if msg.Type != dbus.TypeMethodCall || msg.Serial() != helloSerial || len(msg.Body) != 0 || len(msg.Headers) != len(want) {
		t.Errorf("the Hello is %v; want a method call with serial %d, the four fields and no body", msg, helloSerial)
	}
	if rest.Len() != 0 {
		t.Errorf("%d bytes follow the Hello; want none", rest.Len())
	}
}

func TestDialWithoutAUnixSocket(t *testing.T) {
	if c, err := Dial("tcp:host=127.0.0.1,port=1"); err != ErrUnsupported {
		t.Errorf("Dial of a TCP address gave %v, %v; want ErrUnsupported", c, err)
	}
	if c, err := Dial("unix:path=/nonexistent/bus"); err == nil {
		c.Close()
		t.Error("Dial of a missing socket succeeded")
	}
}

//go:build linux

package secretservice

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/internal/testing/keyringtest"
)

// On a real bus with gnome-keyring, a client connection searches, opens
// its session once and keeps it.
func TestSecretsOnGnomeKeyring(t *testing.T) {
	addr := keyringtest.PrivateKeyring(t)
	s, err := openClient(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	unlocked, locked, err := s.searchItems(map[string]string{"service": "none"})
	if err != nil || len(unlocked)+len(locked) != 0 {
		t.Fatalf("searching gave %v %v, %v; want no items", unlocked, locked, err)
	}
	first, err := s.openSession()
	if err != nil || !strings.HasPrefix(string(first), "/org/freedesktop/secrets/session/") {
		t.Fatalf("the session is %q, %v; want a session path", first, err)
	}
	if again, err := s.openSession(); again != first || err != nil {
		t.Errorf("the session asked again is %q, %v; want %q", again, err, first)
	}
	_, err = s.getSecret("/org/freedesktop/secrets/collection/none/1")
	if _, ok := err.(dbus.Error); !ok {
		t.Errorf("reading an item that does not exist gave %v; want the Secret Service's dbus.Error", err)
	}
}

// A bus that refuses the authentication, or hangs up, is an error, never
// a wait.
func TestSecretsOnABusThatRefuses(t *testing.T) {
	for name, answer := range map[string]string{
		"rejected": "REJECTED EXTERNAL\r\n",
		"hung up":  "",
		"garbage":  "OK 1234\r\nthis is not a message at all, not even close\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				// Read the authentication, then answer.
				_, _ = bufio.NewReader(c).ReadString('\n')
				_, _ = c.Write([]byte(answer))
			}()
			if s, err := openClient(t.Context(), "unix:path="+path); err == nil {
				s.close()
				t.Fatal("openClient succeeded; want an error")
			}
		})
	}
}

// A bus that answers with an endless stream of signals, never the reply,
// is left at the call's deadline; one that sends a line of authentication
// longer than a bus's, or a message over the reply's cap, is refused
// before more is read.
func TestSecretsOnABusThatNeverAnswers(t *testing.T) {
	signal := func() []byte {
		var b bytes.Buffer
		m := &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath:      dbus.MakeVariant(dbus.ObjectPath("/org/freedesktop/DBus")),
			dbus.FieldInterface: dbus.MakeVariant("org.freedesktop.DBus"),
			dbus.FieldMember:    dbus.MakeVariant("NameOwnerChanged"),
		}}
		if err := m.EncodeTo(&b, binary.LittleEndian); err != nil {
			t.Fatal(err)
		}
		raw := b.Bytes()
		binary.LittleEndian.PutUint32(raw[8:12], 7) // its serial
		return raw
	}()
	huge := []byte{'l', 2, 0, 1, 0, 0, 0, 8, 1, 0, 0, 0, 0, 0, 0, 8} // 2^27 of fields and of body
	for name, answer := range map[string]func(w io.Writer){
		"signals for ever": func(w io.Writer) {
			_, _ = w.Write([]byte("OK 1234\r\n"))
			for {
				if _, err := w.Write(signal); err != nil {
					return
				}
			}
		},
		"an endless line": func(w io.Writer) {
			line := bytes.Repeat([]byte("OK"), 1024)
			for {
				if _, err := w.Write(line); err != nil {
					return
				}
			}
		},
		"a message over the cap": func(w io.Writer) {
			_, _ = w.Write(append([]byte("OK 1234\r\n"), huge...))
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				_, _ = bufio.NewReader(c).ReadString('\n')
				answer(c)
			}()
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			s, err := openClient(ctx, "unix:path="+path)
			if err == nil {
				s.close()
				t.Fatal("openClient succeeded; want an error")
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("openClient gave up after %s (%v); want it within its deadline", took, err)
			}
		})
	}
}

// An item of the same attributes in another collection than the login
// one, where go-keyring reads and writes, is never read: without one in
// the login collection the quick read leaves the answer to go-keyring.
func TestReadUsesTheLoginCollectionOnly(t *testing.T) {
	addr := keyringtest.PrivateKeyring(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	createItem(t, conn, "/org/freedesktop/secrets/collection/session", "elsewhere")
	if got, err := read(t.Context(), addr, "s", "u"); !errors.Is(err, ErrCannotAnswer) {
		t.Errorf("with an item in the session collection alone, the read gave %q, %v; want it left to go-keyring", got, err)
	}
	createItem(t, conn, "/org/freedesktop/secrets/collection/login", "mine")
	if got, err := read(t.Context(), addr, "s", "u"); err != nil || got != "mine" {
		t.Errorf("with an item in each collection, the read gave %q, %v; want the login collection's, \"mine\"", got, err)
	}
}

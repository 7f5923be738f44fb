//go:build linux

package secretservice

import (
	"bufio"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/internal/testing/keyringtest"
)

// On a real bus with gnome-keyring, a client connection searches, opens
// its session once and keeps it.
func TestSecretsOnGnomeKeyring(t *testing.T) {
	addr := keyringtest.PrivateKeyring(t)
	s, err := openClient(addr)
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
			if s, err := openClient("unix:path=" + path); err == nil {
				s.close()
				t.Fatal("openClient succeeded; want an error")
			}
		})
	}
}

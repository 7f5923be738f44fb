//go:build linux

package prelude

import (
	"testing"

	"github.com/latchapp/latch/internal/testing/keyringtest"
)

// Only the latch command running a credential-helper command starts the
// connection while it initialises.
func TestOnlyTheCommandLineStartsEarly(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"/usr/bin/latch", "token"}, true},
		{[]string{"latch", "--account", "work", "git-credential", "get"}, true},
		{[]string{"/usr/bin/latch", "status"}, false},
		{[]string{"/usr/bin/latch"}, false},
		{[]string{"/usr/bin/latch-desktop", "token"}, false},
		{[]string{"/home/dev/mytool", "token"}, false},
		{[]string{"/tmp/go-build/prelude.test", "-test.run=token"}, false},
	} {
		if got := startsEarly(c.args); got != c.want {
			t.Errorf("startsEarly(%q) = %v; want %v", c.args, got, c.want)
		}
	}
}

// The early connection is handed over once, and only for its address;
// after that Open dials.
func TestEarlyConnectionIsHandedOverOnce(t *testing.T) {
	addr := keyringtest.PrivateBus(t, "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	startEarly()
	early.Lock()
	c := early.conn
	early.Unlock()
	if c == nil {
		t.Fatal("no early connection for the session bus")
	}
	if other, err := Open("unix:path=/nonexistent/elsewhere"); err == nil || other == c {
		t.Error("the early connection was handed over for another address")
	}
	got, err := Open(addr)
	if err != nil || got != c {
		t.Fatalf("Open gave %p, %v; want the early connection %p", got, err, c)
	}
	defer got.Close()
	again, err := Open(addr)
	if err != nil || again == c {
		t.Errorf("the second Open gave %p, %v; want a new connection", again, err)
	}
	if again != nil {
		again.Close()
	}
	// The bus answers the prelude with OK.
	buf := make([]byte, 3)
	if _, err := got.Read(buf); err != nil || string(buf) != "OK " {
		t.Errorf("the bus answered %q, %v; want \"OK \"", buf, err)
	}
}

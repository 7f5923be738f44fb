//go:build linux

package keychain

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/internal/testing/keyringtest"
)

// Processes whose first keychain call is a write (a renewal's, say) leave
// gnome-keyring running: go-keyring's write asks for a session first,
// which aborts a gnome-keyring that has not registered the client yet,
// so the write is introduced by a search (secretservice.BeforeWrite). Without it, this
// test failed one run in four here, and e2e's
// TestAccountsAreSeparateInTheKeychain two in three (gnome-keyring's log:
// "gkd_secret_service_get_pkcs11_session: assertion 'client' failed",
// then plain_negotiate's, then GLib's abort).
func TestWriteFirstProcessesLeaveTheKeychainRunning(t *testing.T) {
	if os.Getenv("LATCH_TEST_WRITE_FIRST") != "" {
		if err := New("latch-write-first").Set(context.Background(), "item", []byte("value")); err != nil {
			t.Fatal(err)
		}
		return
	}
	addr := keyringtest.PrivateKeyring(t)
	before, err := secretsPID(addr)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var failed atomic.Value
	// Readers keep gnome-keyring busy with new clients meanwhile, as other
	// processes' `latch token` do.
	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				conn, err := dbus.Connect(addr)
				if err != nil {
					continue
				}
				_ = conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").Call("org.freedesktop.Secret.Service.SearchItems", 0, map[string]string{"service": "latch-write-first"}).Err
				conn.Close()
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			for range 150 {
				cmd := exec.Command(os.Args[0], "-test.run=^TestWriteFirstProcessesLeaveTheKeychainRunning$")
				// GORACE: a race-enabled process otherwise waits a second
				// as it exits.
				cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+addr, "LATCH_TEST_WRITE_FIRST=1", "GORACE=atexit_sleep_ms=0")
				if out, err := cmd.CombinedOutput(); err != nil {
					failed.CompareAndSwap(nil, fmt.Sprintf("%v\n%s", err, out))
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	readers.Wait()
	if first := failed.Load(); first != nil {
		t.Errorf("a process that wrote first failed: %s", first)
	}
	if after, err := secretsPID(addr); err != nil || after != before {
		t.Fatalf("after 450 processes that wrote first, three at a time, the Secret Service is process %d, %v (was %d); want the same", after, err, before)
	}
}

// secretsPID is the process that owns the Secret Service's name on the
// bus at addr.
func secretsPID(addr string) (uint32, error) {
	conn, err := dbus.Connect(addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return keyringtest.SecretServicePID(conn)
}

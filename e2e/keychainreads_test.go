package e2e

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/internal/testing/keyringtest"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
)

// secretServicePID is the process that owns the Secret Service on the
// session bus.
func secretServicePID(t *testing.T) uint32 {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := keyringtest.SecretServicePID(conn)
	if err != nil {
		t.Fatalf("no Secret Service on the bus: %v", err)
	}
	return pid
}

// Many processes reading the session at once, each on a connection of
// its own, leave the keychain running: Latch's read sends gnome-keyring
// one call at a time, never the burst of first calls that aborts it (an
// earlier read did, after about 1500 reads of three processes).
func TestReadsInParallelLeaveTheKeychainRunning(t *testing.T) {
	bin := latchBinary(t)
	op := oidcprovider.Start(t, oidcprovider.Options{})
	env := append(home(t), "LATCH_ISSUER="+op.Issuer, "LATCH_CLIENT_ID="+oidcprovider.ClientID)
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"])
	before := secretServicePID(t)
	var failures atomic.Int32
	var first sync.Once
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for range 700 {
				if code, stderr := run(bin, env, "token"); code != 0 {
					failures.Add(1)
					first.Do(func() { t.Errorf("latch token failed: %s", stderr) })
					return
				}
			}
		})
	}
	wg.Wait()
	if after := secretServicePID(t); failures.Load() != 0 || after != before {
		t.Fatalf("after 2100 reads in three processes: %d failed, the Secret Service is process %d (was %d); want none failed and the same process", failures.Load(), after, before)
	}
}

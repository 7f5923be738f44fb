//go:build linux

// Package keyringtest looks into the real Secret Service for tests: whether
// it works, and how many items an application left there.
package keyringtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"github.com/latchapp/latch/internal/testing/peers"
)

// Require ends the test when no Secret Service works on this machine:
// skipped under a plain go test, failed under scripts/test.
func Require(t testing.TB) {
	t.Helper()
	service := fmt.Sprintf("latch-probe-%d", time.Now().UnixNano())
	done := make(chan error, 1)
	go func() {
		err := keyring.Set(service, "probe", "probe")
		if err == nil {
			err = keyring.Delete(service, "probe")
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			peers.Missing(t, "the Secret Service", err.Error())
		}
	case <-time.After(20 * time.Second):
		peers.Missing(t, "the Secret Service", "it did not answer within 20 seconds")
	}
}

// Items counts the Secret Service items whose service attribute is
// service, locked or not.
func Items(t testing.TB, service string) int {
	t.Helper()
	return len(Keys(t, service))
}

// SecretServicePID is the process that owns the Secret Service's name on
// the bus conn is connected to: the same before and after a test means
// the keychain did not abort and restart meanwhile.
func SecretServicePID(conn *dbus.Conn) (uint32, error) {
	var pid uint32
	err := conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, secretsName).Store(&pid)
	return pid, err
}

// Keys are the keys (go-keyring's "username" attribute) of the Secret
// Service items whose service attribute is service, locked or not.
func Keys(t testing.TB, service string) []string {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	return keys(t, conn, service)
}

// keys is Keys on the bus conn is connected to.
func keys(t testing.TB, conn *dbus.Conn, service string) []string {
	t.Helper()
	var unlocked, locked []dbus.ObjectPath
	call := conn.Object(secretsName, secretsPath).
		Call(secretsIface+".SearchItems", 0, map[string]string{"service": service})
	if err := call.Store(&unlocked, &locked); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, path := range append(unlocked, locked...) {
		v, err := conn.Object(secretsName, path).GetProperty("org.freedesktop.Secret.Item.Attributes")
		if err != nil {
			t.Fatal(err)
		}
		attrs, _ := v.Value().(map[string]string)
		keys = append(keys, attrs["username"])
	}
	slices.Sort(keys)
	return keys
}

// PrivateBus runs a D-Bus session daemon of its own until the test ends
// and returns its address. When service is not empty, the Secret Service
// (org.freedesktop.secrets) is activatable on it and runs that command,
// which can play a keychain that is broken: one that never comes up
// ("/bin/sleep 20") or fails at once ("/bin/false").
func PrivateBus(t testing.TB, service string) string {
	t.Helper()
	services := map[string]string{}
	if service != "" {
		services[secretsName] = service
	}
	return privateBus(t, services)
}

// privateBus is PrivateBus with the services given activatable: bus name
// to command.
func privateBus(t testing.TB, activatable map[string]string) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		peers.Missing(t, "dbus-daemon", err.Error())
	}
	dir := t.TempDir()
	services := filepath.Join(dir, "services")
	if err := os.Mkdir(services, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, command := range activatable {
		file := "[D-BUS Service]\nName=" + name + "\nExec=" + command + "\n"
		if err := os.WriteFile(filepath.Join(services, name+".service"), []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config := `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:dir=` + dir + `</listen><auth>EXTERNAL</auth><servicedir>` + services + `</servicedir>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`
	configFile := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(configFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+configFile, "--print-address", "--nofork")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatal("dbus-daemon printed no address")
	}
	return strings.TrimSpace(sc.Text())
}

// PrivateKeyring runs a gnome-keyring of its own, unlocked, on a D-Bus
// session of its own (see [PrivateBus]) until the test ends, and returns
// the bus's address. A test may lock it without touching the keyring
// that other tests share.
func PrivateKeyring(t testing.TB) string {
	t.Helper()
	daemon, err := exec.LookPath("gnome-keyring-daemon")
	if err != nil {
		peers.Missing(t, "gnome-keyring-daemon", err.Error())
	}
	addr := PrivateBus(t, "")
	home := t.TempDir()
	cmd := exec.Command(daemon, "--foreground", "--unlock", "--components=secrets")
	cmd.Env = append(os.Environ(),
		"DBUS_SESSION_BUS_ADDRESS="+addr,
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_RUNTIME_DIR="+home,
	)
	// The password only unlocks this throwaway keyring.
	cmd.Stdin = strings.NewReader("latch-private-keyring")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for range 100 {
		if owned, err := hasOwner(conn, secretsName); err == nil && owned {
			return addr
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the private gnome-keyring did not come up within 10 seconds")
	return ""
}

// The Secret Service's name on the bus, its object and its interface, as
// the freedesktop specification gives them (the client under test,
// base/secretservice, keeps its own: its tests import this package).
const (
	secretsName  = "org.freedesktop.secrets"
	secretsPath  = dbus.ObjectPath("/org/freedesktop/secrets")
	secretsIface = "org.freedesktop.Secret.Service"
)

// hasOwner reports whether a program owns name on the bus.
func hasOwner(conn *dbus.Conn, name string) (bool, error) {
	var owned bool
	err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned)
	return owned, err
}

package keyringtest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/peers"
)

// OtherUser is the machine's second local user, whose processes play
// another person's (scripts/test makes it).
const OtherUser = "latch-other"

// foreignBusEnv, set, makes a test binary the other user's bus (see Main).
const foreignBusEnv = "LATCH_TEST_FOREIGN_BUS"

// Main runs a test binary's tests, or, started by [ForeignBus], the other
// user's process that holds a bus's address. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(keyringtest.Main(m)) }
func Main(m *testing.M) int {
	if name := os.Getenv(foreignBusEnv); name != "" {
		return serveForeignBus(name)
	}
	return m.Run()
}

// ForeignBus starts, as [OtherUser], a process that holds the abstract
// socket of a session bus address, as someone would who took the address
// that a bus which ended left behind; it accepts connections and counts
// the bytes it is sent. It returns the address and what it has received
// so far. It needs root, to start a process of another uid, and the other
// user.
func ForeignBus(t testing.TB) (addr string, received func() int64) {
	t.Helper()
	other, err := user.Lookup(OtherUser)
	if err != nil || os.Geteuid() != 0 {
		peers.Missing(t, "a second local user", fmt.Sprintf("root and the user %s (scripts/test makes it): %v", OtherUser, err))
	}
	uid, _ := strconv.Atoi(other.Uid)
	gid, _ := strconv.Atoi(other.Gid)
	// The test binary, where the other user may run it.
	dir, err := os.MkdirTemp("", "latch-foreign-bus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "bus")
	if err := copyFile(os.Args[0], exe); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "latch-test-foreign-bus-" + hex.EncodeToString(b)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), foreignBusEnv+"="+name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the other user's bus: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("the other user's bus did not start: %q", lines.Text())
	}
	var got atomic.Int64
	go func() {
		for lines.Scan() {
			if n, ok := strings.CutPrefix(lines.Text(), "got "); ok {
				v, _ := strconv.ParseInt(n, 10, 64)
				got.Add(v)
			}
		}
	}()
	return "unix:abstract=" + name, func() int64 {
		// What a connection just closed sent is told within its read's
		// deadline.
		time.Sleep(300 * time.Millisecond)
		return got.Load()
	}
}

// serveForeignBus holds the abstract socket name and says, for each
// connection, how many bytes it was sent before it closed or went quiet.
func serveForeignBus(name string) int {
	l, err := net.Listen("unix", "@"+name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	for {
		c, err := l.Accept()
		if err != nil {
			return 1
		}
		go func() {
			defer c.Close()
			_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			n, _ := io.Copy(io.Discard, c)
			fmt.Printf("got %d\n", n)
		}()
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}

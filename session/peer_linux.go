//go:build linux

package session

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// peerUID is the user who owns the other end of a connection to this
// machine's loopback from remote to local (host:port each), as the
// kernel lists TCP sockets with their owners in /proc/net/tcp: the
// browser's, for the loopback listener of a sign-in. ok is false when it
// cannot be told.
func peerUID(remote, local string) (uid int, ok bool) {
	r, err := netip.ParseAddrPort(remote)
	if err != nil || !r.Addr().Is4() {
		return 0, false
	}
	l, err := netip.ParseAddrPort(local)
	if err != nil || !l.Addr().Is4() {
		return 0, false
	}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	// The client's socket: its local address is the connection's remote
	// one, and the other way round.
	want := procAddr(r) + " " + procAddr(l)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || fields[1]+" "+fields[2] != want {
			continue
		}
		uid, err := strconv.Atoi(fields[7])
		return uid, err == nil
	}
	return 0, false
}

// procAddr is ap as /proc/net/tcp writes it: the IPv4 address's four
// bytes in the machine's order (little-endian here), then the port, in
// hexadecimal.
func procAddr(ap netip.AddrPort) string {
	b := ap.Addr().As4()
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", b[3], b[2], b[1], b[0], ap.Port())
}

// ownUID is the user this program runs as.
func ownUID() int { return os.Getuid() }

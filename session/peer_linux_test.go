//go:build linux

package session

import (
	"net"
	"os"
	"testing"
)

func TestPeerUIDNamesTheConnectingUser(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server := <-accepted
	defer server.Close()
	uid, ok := peerUID(server.RemoteAddr().String(), server.LocalAddr().String())
	if !ok || uid != os.Getuid() {
		t.Fatalf("peerUID gave %d, %t; want this process's user, %d", uid, ok, os.Getuid())
	}
	if _, ok := peerUID("127.0.0.1:1", server.LocalAddr().String()); ok {
		t.Fatal("peerUID named the owner of a connection that does not exist")
	}
}

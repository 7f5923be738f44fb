//go:build !unix && !windows

package agent

import (
	"context"
	"net"
)

// SocketPath names no socket here: the agent does not run on this
// system.
func SocketPath(string) string { return "" }

func listen(string) (net.Listener, error) { return nil, errUnsupported }

func dial(context.Context, string) (net.Conn, error) { return nil, errUnsupported }

func clientIsThePerson(net.Conn) error { return errUnsupported }

func serverIsThePerson(net.Conn) error { return errUnsupported }

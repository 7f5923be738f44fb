// Command latch-sandbox runs Latch's built-in sandbox provider: a real
// OpenID provider on loopback with demo accounts. `latch sandbox` runs it,
// and latch starts it when a session on the sandbox needs the provider;
// it is a program of its own so that latch, which scripts and kubectl
// run on every request, does not carry a provider and starts fast.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxclient"
	"github.com/latchapp/latch/internal/app/sandboxhost"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := sandboxhost.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, describe, latchapp.VersionLine())
	stop()
	os.Exit(code)
}

// describe words an error that kept the sandbox at addr from starting.
func describe(addr string, err error) string {
	return latchapp.Describe(&sandboxclient.StartError{Addr: addr, Err: err})
}

// Latch signs you in to an OpenID Connect provider, keeps the session in
// the system keychain and shows who is signed in.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/latchapp/latch/cli"
	"github.com/latchapp/latch/internal/app/sandboxhost"
	"github.com/latchapp/latch/ui"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Window: ui.Run, Repair: ui.Repair, Sandbox: sandboxhost.InProcess})
	stop()
	os.Exit(code)
}

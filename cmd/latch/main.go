// Command latch is Latch's command line without the desktop app: the same
// commands as the module's root build, which starts faster (it links no
// Fyne), for scripts that call `latch token` on every request. `latch`
// with no command hands over to the desktop app, latch-desktop, installed
// beside it.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/latchapp/latch/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Desktop: cli.OpenDesktop})
	stop()
	os.Exit(code)
}

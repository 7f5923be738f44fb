// Package sandboxhost runs Latch's built-in sandbox provider (the server,
// package sandboxserver) in a process: [InProcess] is the [sandboxclient.Starter] of the desktop app and
// of the tests, and [Main] is the program latch-sandbox, which the command
// line starts instead (see [sandboxclient.Program]).
package sandboxhost

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxclient"
	"github.com/latchapp/latch/internal/app/sandboxserver"
)

// InProcess starts the sandbox in this process.
func InProcess(ctx context.Context, o sandboxclient.Options) (sandboxclient.Instance, error) {
	srv, err := sandboxserver.New(sandboxserver.Config{
		Addr: o.Addr, Issuer: o.Issuer, StateFile: o.StateFile, Logger: o.Logger,
		AccessTokenTTL: o.AccessTokenTTL, ReuseInterval: o.ReuseInterval,
	})
	if err != nil {
		return nil, err
	}
	if err := srv.Start(ctx); err != nil {
		return nil, err
	}
	return srv, nil
}

const usage = `latch-sandbox [--addr HOST:PORT] [--issuer URL] [--state-file PATH] [--token-ttl DURATION] [--reuse-interval DURATION] [--verbose] [--version]

Runs Latch's built-in sandbox provider until interrupted, and prints its
issuer, client ID and metadata API on lines of their own. latch starts it:
run "latch sandbox" (which takes the address from Latch's configuration),
or let latch start it when a session on the sandbox needs it.
`

// Main is latch-sandbox: it runs the sandbox with the options in args
// until ctx ends (or, with [sandboxclient.ChildFlag], until stdin closes),
// and returns the exit status, [sandboxclient.ExitCode] of what ended it.
// A sandbox that cannot start is worded by describe for a person, or,
// for the program that started it as a child, said as it is, for that
// program to word. --version prints versionLine.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, describe func(addr string, err error) string, versionLine string) int {
	fs := flag.NewFlagSet("latch-sandbox", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o sandboxclient.Options
	var child, verbose, showVersion bool
	fs.StringVar(&o.Addr, "addr", "", "")
	fs.StringVar(&o.Issuer, "issuer", "", "")
	fs.StringVar(&o.StateFile, "state-file", "", "")
	fs.DurationVar(&o.AccessTokenTTL, "token-ttl", sandboxclient.DefaultAccessTokenTTL, "")
	fs.DurationVar(&o.ReuseInterval, "reuse-interval", 0, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	fs.BoolVar(&showVersion, "version", false, "")
	fs.BoolVar(&child, strings.TrimPrefix(sandboxclient.ChildFlag, "--"), false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "latch-sandbox: %v (see latch-sandbox --help)\n", err)
		return 2
	}
	if showVersion {
		fmt.Fprintln(stdout, versionLine)
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "latch-sandbox: unexpected argument %q (see latch-sandbox --help)\n", fs.Arg(0))
		return 2
	}
	if o.AccessTokenTTL < time.Second {
		fmt.Fprintln(stderr, "latch-sandbox: --token-ttl must be at least 1s")
		return 2
	}
	if verbose {
		o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if child {
		// The program that started it holds stdin open for as long as
		// the sandbox is wanted.
		var stop context.CancelFunc
		ctx, stop = context.WithCancel(ctx)
		defer stop()
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			stop()
		}()
	}
	srv, err := InProcess(ctx, o)
	if err != nil {
		if child {
			fmt.Fprintln(stderr, err)
		} else {
			addr := o.Addr
			if addr == "" {
				addr = sandboxclient.DefaultAddr
			}
			fmt.Fprintln(stderr, describe(addr, err))
		}
		return sandboxclient.ExitCode(err)
	}
	defer srv.Close()
	sandboxclient.PrintFields(stdout, srv)
	if !child {
		fmt.Fprintln(stderr, sandboxclient.RunningHint)
	}
	<-ctx.Done()
	return 0
}

package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/latchapp/latch/internal/app/sandboxclient"
)

var sandboxCommand = command{
	usage: `latch sandbox [--addr HOST:PORT] [--token-ttl DURATION] [--reuse-interval DURATION] [--issuer URL]

Runs the built-in sandbox provider in the foreground until interrupted,
and prints its issuer, client ID and metadata API on lines of their own.
--issuer sets the issuer it presents, for when it is reached through a
proxy that keeps the Host header (default: http://HOST:PORT).
`,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &sandboxOptions{globalOptions: g}
		fs.StringVar(&o.addr, "addr", "", "listen on `HOST:PORT` (default: the sandbox's address, 127.0.0.1:8642)")
		fs.DurationVar(&o.tokenTTL, "token-ttl", sandboxclient.DefaultAccessTokenTTL, "the access tokens' lifetime, `DURATION`")
		fs.DurationVar(&o.reuseInterval, "reuse-interval", 0, "let a rotated refresh token be spent again for this `DURATION`, as Auth0's Reuse Interval does, so that a renewMode whose answer was lost does not end the session (0: any reuse revokes the session)")
		return o
	},
}

// sandboxOptions are the options of latch sandbox.
type sandboxOptions struct {
	*globalOptions
	addr          string
	tokenTTL      time.Duration
	reuseInterval time.Duration
}

func (o *sandboxOptions) run(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	addr := o.addr
	if addr == "" {
		cfg, err := o.config()
		if err == nil && cfg.SandboxAddr != "" {
			addr = cfg.SandboxAddr
		}
	}
	if o.tokenTTL < time.Second {
		return usagef("--token-ttl must be at least 1s")
	}
	if o.reuseInterval < 0 {
		return usagef("--reuse-interval must not be negative")
	}
	srv, err := o.env.Sandbox.Start(o.ctx, sandboxclient.Options{Addr: addr, Issuer: o.settings.Issuer, StateFile: o.env.SandboxStateFile, Logger: o.log, AccessTokenTTL: o.tokenTTL, ReuseInterval: o.reuseInterval})
	if err != nil {
		if addr == "" {
			addr = sandboxclient.DefaultAddr
		}
		return &sandboxclient.StartError{Addr: addr, Err: err}
	}
	defer srv.Close()
	sandboxclient.PrintFields(o.env.Stdout, srv)
	fmt.Fprintln(o.env.Stderr, sandboxclient.RunningHint)
	<-o.ctx.Done()
	return nil
}

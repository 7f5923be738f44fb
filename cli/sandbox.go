package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/latchapp/latch/sandbox"
)

var sandboxCommand = command{
	usage: `latch sandbox [--addr HOST:PORT] [--token-ttl DURATION] [--issuer URL]

Runs the built-in sandbox provider in the foreground until interrupted,
and prints its issuer, client ID and metadata API on lines of their own.
--token-ttl sets the access tokens' lifetime (default 2m). --issuer sets
the issuer it presents, for when it is reached through a proxy that keeps
the Host header (default: http://HOST:PORT).
`,
	flags: func(fs *flag.FlagSet, r *runner) {
		fs.StringVar(&r.addr, "addr", "", "")
		fs.DurationVar(&r.tokenTTL, "token-ttl", sandbox.DefaultAccessTokenTTL, "")
	},
	run: (*runner).sandbox,
}

func (r *runner) sandbox(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	addr := r.addr
	if addr == "" {
		cfg, err := r.config()
		if err == nil && cfg.SandboxAddr != "" {
			addr = cfg.SandboxAddr
		}
	}
	if r.tokenTTL < time.Second {
		return usagef("--token-ttl must be at least 1s")
	}
	srv, err := sandbox.New(sandbox.Config{Addr: addr, Issuer: r.settings.Issuer, StateFile: r.env.SandboxStateFile, Logger: r.log, AccessTokenTTL: r.tokenTTL})
	if err != nil {
		return err
	}
	if err := srv.Start(r.ctx); err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(r.env.Stdout, "issuer: %s\nclient_id: %s\nmetadata_api: %s\n", srv.Issuer(), sandbox.ClientID, srv.MetadataAPI())
	fmt.Fprintf(r.env.Stderr, "Sandbox running; demo accounts: demo/demo, ada/lovelace. Stop it with Ctrl-C.\n")
	<-r.ctx.Done()
	return nil
}

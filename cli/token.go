package cli

import (
	"flag"
	"fmt"
	"time"
)

var tokenCommand = command{
	usage: `latch token [--min-ttl DURATION]

Prints a valid access token, renewing it first when it expires within
--min-ttl (default 30s). Use it as a credential helper.
`,
	flags: func(fs *flag.FlagSet, r *runner) { fs.DurationVar(&r.minTTL, "min-ttl", 30*time.Second, "") },
	run:   (*runner).token,
}

func (r *runner) token(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if r.minTTL < 0 {
		return usagef("--min-ttl must not be negative")
	}
	s, err := r.open(nil, true)
	if err != nil {
		return err
	}
	defer s.Close()
	creds, err := s.Manager.Credentials(r.ctx, r.minTTL)
	if err != nil {
		return err
	}
	fmt.Fprintln(r.env.Stdout, creds.AccessToken)
	return nil
}

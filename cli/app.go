package cli

import (
	"flag"
	"fmt"
)

// appCommand is `latch` with no command: the desktop app, or with
// --no-window a sign-in when needed and who is signed in.
var appCommand = command{
	usage: mainUsage,
	flags: func(fs *flag.FlagSet, r *runner) {
		fs.BoolVar(&r.device, "device", false, "")
		fs.BoolVar(&r.noBrowser, "no-browser", false, "")
		fs.BoolVar(&r.noWindow, "no-window", false, "")
	},
	run: (*runner).app,
}

func (r *runner) app(args []string) error {
	if r.env.Window == nil && r.env.Desktop != nil && !r.noWindow {
		if err := noArgs(args); err != nil {
			return err
		}
		return r.env.Desktop(r.ctx, r.args)
	}
	s, err := r.open(args, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if r.env.Window != nil && !r.noWindow {
		return r.env.Window(r.ctx, s)
	}
	p, err := r.ensureSignedIn(s)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "Signed in as %s\n", signedInAs(p))
	return nil
}

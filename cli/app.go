package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/latchapp/latch/internal/app/agent"
)

// appCommand is `latch` with no command: the desktop app, or with
// --no-window a sign-in when needed and who is signed in.
var appCommand = command{
	usage: mainUsage,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &appOptions{globalOptions: g}
		o.signIn.flags(fs)
		fs.BoolVar(&o.noWindow, "no-window", false, "sign in when needed and say who is signed in, without the desktop app's window")
		return o
	},
}

// appOptions are the options of `latch` with no command.
type appOptions struct {
	*globalOptions
	signIn   signInOptions
	noWindow bool
}

func (o *appOptions) run(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if o.env.Window == nil && o.env.Desktop != nil && !o.noWindow {
		return o.env.Desktop(o.ctx, o.args)
	}
	if o.env.Window == nil || o.noWindow {
		// Without a window the command ends by itself: it has a deadline.
		cancel := o.withDeadline(signInDeadline)
		defer cancel()
	}
	a, err := o.open(renewInBackground, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if o.env.Window != nil && !o.noWindow {
		// While its window is open, the app is the agent.
		ctx, cancel := context.WithCancel(o.ctx)
		desk := &agent.Desk{}
		served := o.serveForApp(ctx, a.Config, desk)
		defer func() {
			cancel()
			served()
		}()
		return o.env.Window(o.ctx, a, o.accounts(renewInBackground), desk)
	}
	p, err := o.signIn.ensure(o.globalOptions, a)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.env.Stdout, "Signed in as %s\n", signedInAs(p))
	return nil
}

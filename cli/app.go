package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
)

// appCommand is `latch` with no command: the desktop app, or with
// --no-window a sign-in when needed and who is signed in.
var appCommand = command{
	usage: mainUsage,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &appOptions{globalOptions: g}
		o.signIn.flags(fs)
		fs.BoolVar(&o.noWindow, "no-window", false, "sign in when needed and say who is signed in, without the desktop app's window")
		fs.BoolVar(&o.inTray, "in-tray", false, "start the desktop app in the system tray, its window hidden, as when it starts at login")
		return o
	},
}

// appOptions are the options of `latch` with no command.
type appOptions struct {
	*globalOptions
	signIn   signInOptions
	noWindow bool
	inTray   bool
}

func (o *appOptions) run(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if err := checkPrompt(o.signIn.prompt); err != nil {
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
	var ce *latchapp.ConfigError
	if errors.As(err, &ce) && o.env.Window != nil && o.env.Repair != nil && !o.noWindow {
		// Started from the desktop's menu, an error on stderr is seen by
		// no one: the window says it.
		return o.repair(err)
	}
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
		return o.env.Window(o.ctx, a, o.accounts(renewInBackground), desk, latchapp.WindowOptions{InTray: o.inTray})
	}
	p, err := o.signIn.ensure(o.globalOptions, a)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.env.Stdout, "Signed in as %s\n", signedInAs(p))
	return nil
}

// repair opens the desktop app on the configuration problem, which the
// person fixes there (or turns to the sandbox); the account it opens then
// (the problem screen is left once one opens) is served as the agent,
// and closed when the app quits.
func (o *appOptions) repair(problem error) error {
	ctx, cancel := context.WithCancel(o.ctx)
	desk := &agent.Desk{}
	var mu sync.Mutex
	var opened *latchapp.Account
	served := func() {}
	defer func() {
		cancel()
		mu.Lock()
		defer mu.Unlock()
		served()
		if opened != nil {
			opened.Close()
		}
	}()
	reopen := func(openCtx context.Context, sandbox bool) (*latchapp.Account, *latchapp.Accounts, error) {
		var c latchapp.Config
		var err error
		accounts := o.accounts(renewInBackground)
		if sandbox {
			// The sandbox alone: neither the file nor the flags that
			// could not be used.
			c, err = latchapp.LoadConfig(latchapp.Settings{Sandbox: "true", Set: map[string]bool{"sandbox": true}}, func(string) string { return "" }, "")
			accounts = nil
		} else {
			c, err = o.config()
		}
		if err != nil {
			return nil, nil, err
		}
		a, err := latchapp.Open(openCtx, c, o.openOptions(renewInBackground))
		if err != nil {
			return nil, nil, err
		}
		mu.Lock()
		opened, served = a, o.serveForApp(ctx, c, desk)
		mu.Unlock()
		return a, accounts, nil
	}
	return o.env.Repair(o.ctx, o.log, problem, o.configFile(), reopen, desk)
}

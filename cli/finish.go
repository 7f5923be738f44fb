package cli

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"github.com/latchapp/latch/internal/app/agent"
	"github.com/latchapp/latch/internal/app/latchapp"
)

// A command that hands out a token without the agent, when that token
// is due (to be renewed, or a named token fetched), does the work in a
// detached child of its own (see directly): the child has the command's
// deadline, but once it has sent the provider a renewal it does not end
// before the answer is stored, though its parent gave up and exited. The
// next command then finds the session alive, where the answer used to
// die with the process that asked. A valid token is handed out by the
// command itself; so is a due one when the keychain asked the command
// already (KeePassXC asks each new process: the child would be asked
// again).

// finishingEnv, set in a command's environment, says that it is such a
// child.
const finishingEnv = "LATCH_FINISHING_RENEWAL"

// finishingWait bounds how long a child waits for the answer to a
// renewal it sent, after its deadline: as long as a renewal may take.
const finishingWait = 2 * time.Minute

// childGrace is how long a parent waits past its deadline for its child
// to say why it failed (the child starts a moment later, so its deadline
// comes a moment later).
const childGrace = 2 * time.Second

// finishing says that this run is such a child.
func (g *globalOptions) finishing() bool { return g.env.Getenv(finishingEnv) != "" }

// directly opens the account cfg configures here and runs work on it,
// which hands out the token r names; or, when that token is due, leaves
// this command to a detached child (with stdin given; see above) and
// passes its output and exit status on.
func directly[T any](g *globalOptions, cfg latchapp.Config, r latchapp.TokenRequest, stdin string, work func(ctx context.Context, a *latchapp.Account) (T, error)) (T, error) {
	var zero T
	opts := g.openOptions(renewOnUse)
	posts := &postCounter{base: http.DefaultTransport}
	if g.finishing() {
		opts.HTTPClient = &http.Client{Timeout: finishingWait, Transport: posts}
	}
	a, err := latchapp.Open(g.ctx, cfg, opts)
	if err != nil {
		return zero, err
	}
	defer a.Close()
	// Only the desktop app can ask the person for a token that needs it.
	if confirms, err := a.Confirms(g.ctx, r.Name, nil); err != nil || confirms {
		return zero, cmp.Or(err, latchapp.ErrNeedsApp)
	}
	if g.detachable() {
		due, err := a.Due(g.ctx, r)
		if err != nil {
			return zero, err // the keychain's failure, as the work would meet it
		}
		if due && !g.asked.Load() {
			a.Close()
			return zero, g.finishDetached(stdin)
		}
	}
	v, err := work(g.ctx, a)
	if g.finishing() && errors.Is(err, context.DeadlineExceeded) && posts.sent.Load() > 0 {
		// The provider has the renewal: its answer is stored before this
		// child ends (joining the renewal in flight). The parent has said
		// that it gave up.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(g.ctx), finishingWait)
		defer cancel()
		_, _ = work(ctx, a)
		return zero, saidExit{exitFail}
	}
	return v, err
}

// detachable says whether this run may leave its work to a detached
// child: a command with a deadline, on the person's keychain, that is
// not such a child itself and signs no one in.
func (g *globalOptions) detachable() bool {
	return !g.finishing() && !g.signInMayFollow && g.deadline > 0 && g.onPersonsKeychain()
}

// finishDetached runs this command again as a detached child, with stdin
// given, and passes its output and exit status on. When the deadline
// comes and the child does not end within childGrace, this run gives up
// as it would have, and the child goes on with the renewal it sent.
func (g *globalOptions) finishDetached(stdin string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, g.args...)
	cmd.Env = append(os.Environ(), finishingEnv+"=1", "LATCH_AGENT=off")
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = g.env.Stdout, g.env.Stderr
	agent.Detach(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitOf(err)
	case <-g.ctx.Done():
	}
	select {
	case err := <-done:
		return exitOf(err)
	case <-time.After(childGrace):
		return g.ctx.Err()
	}
}

// exitOf is the error that passes a child's exit status on.
func exitOf(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return saidExit{ee.ExitCode()}
	}
	if err != nil {
		return err
	}
	return saidExit{exitOK}
}

// postCounter is base, counting the requests sent that change
// something at the provider (POST: a renewal, a revocation).
type postCounter struct {
	base http.RoundTripper
	sent atomic.Int32
}

func (c *postCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost {
		c.sent.Add(1)
	}
	return c.base.RoundTrip(r)
}

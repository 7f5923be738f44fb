package agent

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrAppServes means that the desktop app (another window of it) is the
// agent already.
var ErrAppServes = errors.New("the desktop app is the agent already")

// takeOverWait bounds how long the desktop app tries to take the agent's
// place from a headless agent.
const takeOverWait = 10 * time.Second

// TakeOver takes the agent's place in dir for the desktop app: a
// headless agent there is asked to stop (it stops listening at once and
// finishes the requests it has), and its place taken. A command that
// comes in between starts a headless agent, which is asked to stop in
// turn; the command waits for whichever listens, so none fails.
// [ErrAppServes] when another window of the app serves.
func TakeOver(ctx context.Context, dir string) (*Listener, error) {
	if !supported {
		return nil, errUnsupported
	}
	ctx, cancel := context.WithTimeout(ctx, takeOverWait)
	defer cancel()
	c := &Client{Dir: dir}
	for {
		l, err := Listen(ctx, dir)
		if err == nil || !errors.Is(err, ErrRunning) {
			return l, err
		}
		st, err := c.Status(ctx)
		switch {
		case err == nil && st.App:
			return nil, ErrAppServes
		case err == nil:
			_, _ = c.ask(ctx, &request{Op: opStop}, false)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("taking the agent's place: %w", ctx.Err())
		}
		// Not answering: an agent that is starting, or leaving.
		if err := pause(ctx, 10*time.Millisecond); err != nil {
			return nil, fmt.Errorf("taking the agent's place: %w", err)
		}
	}
}

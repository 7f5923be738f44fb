package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
)

// Client asks the person's agent, starting a headless one when none
// runs.
type Client struct {
	// Dir is the agent's folder (see [Dir]).
	Dir string
	// Start starts a headless agent in the background (see [Spawn]); nil
	// starts none.
	Start func() error
	// Asking, when set, is told when the keychain asks the person while
	// the agent answers (see [latchapp.Options.KeychainAsking]).
	Asking func(keeper string)
	// Confirming, when set, is told when the token asked for waits for
	// the person to allow it in the desktop app.
	Confirming func()
}

// ErrUnavailable means that no agent could be reached or started, or
// that the one running does not speak the request (the desktop app of
// another version): the caller does the work itself.
var ErrUnavailable = errors.New("no agent can be reached")

// errUnsupported is [ErrUnavailable] where the agent does not run yet.
var errUnsupported = fmt.Errorf("%w: the agent does not run on this system yet", ErrUnavailable)

// ErrNotRunning means that no agent runs: for the requests that start
// none.
var ErrNotRunning = errors.New("no agent is running")

// startWait bounds how long a started agent takes to listen.
const startWait = 5 * time.Second

// Token asks the agent for the token r names, of the account cfg
// configures.
func (c *Client) Token(ctx context.Context, cfg latchapp.Config, r latchapp.TokenRequest) (latchapp.Token, error) {
	resp, err := c.ask(ctx, &request{Op: opToken, Config: &cfg, Token: r}, true)
	if err != nil {
		return latchapp.Token{}, err
	}
	if resp.Token == nil {
		return latchapp.Token{}, fmt.Errorf("%w: the agent's answer holds no token", ErrUnavailable)
	}
	return *resp.Token, nil
}

// Header asks the agent for the header lines that authorize one request
// of method to target with the named token name (empty: the session's
// own) of the account cfg configures. A DPoP proof is made in the agent,
// which keeps the key.
func (c *Client) Header(ctx context.Context, cfg latchapp.Config, name, method, target string) (http.Header, error) {
	resp, err := c.ask(ctx, &request{Op: opHeader, Config: &cfg, Name: name, Method: method, URL: target}, true)
	if err != nil {
		return nil, err
	}
	return resp.Header, nil
}

// Report asks the agent what it knows of the session of the account cfg
// configures (see [latchapp.Account.Report]).
func (c *Client) Report(ctx context.Context, cfg latchapp.Config) (rep latchapp.SessionReport, signedIn bool, err error) {
	resp, err := c.ask(ctx, &request{Op: opReport, Config: &cfg}, true)
	if err != nil {
		return rep, false, err
	}
	if resp.Report == nil {
		return rep, false, fmt.Errorf("%w: the agent's answer holds no report", ErrUnavailable)
	}
	return *resp.Report, resp.SignedIn, nil
}

// Tokens asks the agent for the named tokens held for the account cfg
// configures, without the tokens (see [session.Manager.Tokens]).
func (c *Client) Tokens(ctx context.Context, cfg latchapp.Config) ([]session.TokenInfo, error) {
	resp, err := c.ask(ctx, &request{Op: opTokens, Config: &cfg}, true)
	if err != nil {
		return nil, err
	}
	return resp.Tokens, nil
}

// UserMetadata asks the agent to read, or with changes to change, the
// user_metadata of the person signed in to the account cfg configures
// (see [latchapp.Account.UserMetadata]).
func (c *Client) UserMetadata(ctx context.Context, cfg latchapp.Config, changes map[string]any) (map[string]any, error) {
	resp, err := c.ask(ctx, &request{Op: opMetadata, Config: &cfg, Changes: changes}, true)
	if err != nil {
		return nil, err
	}
	return resp.Metadata, nil
}

// Forget tells a running agent that a session changed elsewhere (a
// sign-in, a sign-out, a token removed): it reads the keychain afresh on
// the next request. No agent running is no error.
func (c *Client) Forget(ctx context.Context) error {
	_, err := c.ask(ctx, &request{Op: opForget}, false)
	if errors.Is(err, ErrNotRunning) {
		return nil
	}
	return err
}

// Status asks the running agent what it holds; [ErrNotRunning] when none
// runs.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	resp, err := c.ask(ctx, &request{Op: opStatus}, false)
	if err != nil {
		return nil, err
	}
	if resp.Status == nil {
		return nil, fmt.Errorf("%w: the agent's answer holds no status", ErrUnavailable)
	}
	return resp.Status, nil
}

// Log asks the running agent for the recent token uses it recorded,
// newest first; [ErrNotRunning] when none runs.
func (c *Client) Log(ctx context.Context) ([]Use, error) {
	resp, err := c.ask(ctx, &request{Op: opLog}, false)
	if err != nil {
		return nil, err
	}
	return resp.Uses, nil
}

// Stop asks the running agent to exit, and waits until it has; the
// sessions it held stay stored. [ErrNotRunning] when none runs.
func (c *Client) Stop(ctx context.Context) (*Status, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.ask(ctx, &request{Op: opStop}, false); err != nil {
		return nil, err
	}
	return st, c.waitGone(ctx)
}

// ask sends req and returns the answer; start says that a headless agent
// is started when none runs.
func (c *Client) ask(ctx context.Context, req *request, start bool) (*response, error) {
	if !supported {
		return nil, errUnsupported
	}
	req.Version = latchapp.Version()
	for attempt := 0; ; attempt++ {
		conn, err := c.dial(ctx, start)
		if err != nil {
			return nil, err
		}
		resp, err := c.exchange(ctx, conn, req)
		if err != nil {
			return nil, err
		}
		if resp.StepAside && attempt == 0 {
			// A headless agent of another version leaves: start ours.
			if err := c.waitGone(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if resp.StepAside {
			return nil, fmt.Errorf("%w: the agent is of another version", ErrUnavailable)
		}
		if resp.Error != nil {
			err := fromWire(resp.Error)
			if errors.Is(err, errUnknownOp) {
				return nil, fmt.Errorf("%w: the agent (version %s) does not know this request", ErrUnavailable, resp.Version)
			}
			return nil, err
		}
		return resp, nil
	}
}

// dial connects to the agent, starting one first when none listens and
// start says so.
func (c *Client) dial(ctx context.Context, start bool) (net.Conn, error) {
	conn, err := c.connect(ctx)
	switch {
	case err == nil:
		return conn, nil
	case !start:
		return nil, fmt.Errorf("%w (%v)", ErrNotRunning, err)
	case c.Start == nil:
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err := privateDir(c.Dir); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("%w: starting one failed: %v", ErrUnavailable, err)
	}
	wait, cancel := context.WithTimeout(ctx, startWait)
	defer cancel()
	for {
		if conn, err := c.connect(wait); err == nil {
			return conn, nil
		}
		if pause(wait, 5*time.Millisecond) != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%w: the agent started did not listen within %s (see %s)", ErrUnavailable, startWait, LogPath())
		}
	}
}

// connect connects to the agent's socket, and checks that the agent is
// the person's.
func (c *Client) connect(ctx context.Context) (net.Conn, error) {
	path := SocketPath(c.Dir)
	conn, err := dial(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := serverIsThePerson(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("the agent's socket %s is not the person's: %w", path, err)
	}
	return conn, nil
}

// exchange sends req on conn and reads the answer, passing notes on.
// When ctx ends first, conn is closed: the agent learns that no one
// waits, and goes on with what it started.
func (c *Client) exchange(ctx context.Context, conn net.Conn, req *request) (*response, error) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return nil, c.broken(ctx, err)
	}
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return nil, c.broken(ctx, err)
		}
		var resp response
		if err := decode(line, &resp); err != nil {
			return nil, fmt.Errorf("%w: its answer cannot be read: %v", ErrUnavailable, err)
		}
		switch {
		case resp.Asking != "":
			if c.Asking != nil {
				c.Asking(resp.Asking)
			}
			continue
		case resp.Confirming:
			if c.Confirming != nil {
				c.Confirming()
			}
			continue
		}
		return &resp, nil
	}
}

// broken is the error for a connection that failed: ctx's when it ended,
// else ErrUnavailable (the agent went away).
func (c *Client) broken(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// waitGone waits until no agent holds its place in c.Dir.
func (c *Client) waitGone(ctx context.Context) error {
	wait, cancel := context.WithTimeout(ctx, startWait)
	defer cancel()
	for {
		conn, err := c.connect(wait)
		if err != nil {
			return nil
		}
		conn.Close()
		if pause(wait, 10*time.Millisecond) != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: the agent did not exit within %s", ErrUnavailable, startWait)
		}
	}
}

// pause waits d, or until ctx ends, and then says ctx's error.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/latchapp/latch/base/filelock"
)

// ErrRunning means another agent of the person's already serves.
var ErrRunning = errors.New("an agent is running already")

// Listener is the agent's socket, held by one agent a person.
type Listener struct {
	ln   net.Listener
	lock *filelock.Lock
	path string
}

// Listen takes the agent's place in dir (see [Dir]): the folder is made
// private, the agent's lock taken (else [ErrRunning]), and the socket
// made, readable and writable by the person alone.
func Listen(ctx context.Context, dir string) (*Listener, error) {
	if !supported {
		return nil, errUnsupported
	}
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	// An agent that steps aside frees its place a moment after it stops
	// listening.
	try, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	lock, err := filelock.Acquire(try, filepath.Join(dir, lockName), nil)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, ErrRunning
	}
	if err != nil {
		return nil, err
	}
	path := SocketPath(dir)
	ln, err := listen(path)
	if err != nil {
		lock.Release()
		return nil, fmt.Errorf("the agent cannot listen at %s: %w", path, err)
	}
	return &Listener{ln: ln, lock: lock, path: path}, nil
}

// Close stops listening, removes the socket and frees the agent's place.
func (l *Listener) Close() {
	l.ln.Close()
	l.lock.Release()
}

// Path is the socket's path.
func (l *Listener) Path() string { return l.path }

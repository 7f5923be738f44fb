package session

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/latchapp/latch/base/filelock"
)

// subscriber delivers events to one callback, in order, on a goroutine of
// its own, so that a slow subscriber delays nobody else.
type subscriber struct {
	fn     func(Event)
	mu     sync.Mutex
	queue  []Event
	wake   chan struct{}
	closed chan struct{}
}

func newSubscriber(fn func(Event)) *subscriber {
	s := &subscriber{fn: fn, wake: make(chan struct{}, 1), closed: make(chan struct{})}
	go s.run()
	return s
}

func (s *subscriber) push(e Event) {
	s.mu.Lock()
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) run() {
	for {
		select {
		case <-s.closed:
			return
		case <-s.wake:
		}
		for {
			s.mu.Lock()
			if len(s.queue) == 0 {
				s.mu.Unlock()
				break
			}
			e := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			select {
			case <-s.closed:
				return
			default:
			}
			s.fn(e)
		}
	}
}

func (s *subscriber) close() { close(s.closed) }

// events holds the current state and the subscribers.
type events struct {
	mu      sync.Mutex
	current Event
	next    int
	subs    map[int]*subscriber
}

func (ev *events) publish(e Event) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.current = e
	for _, s := range ev.subs {
		s.push(e)
	}
}

func (ev *events) state() Event {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return ev.current
}

func (ev *events) subscribe(fn func(Event)) func() {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.subs == nil {
		ev.subs = make(map[int]*subscriber)
	}
	id := ev.next
	ev.next++
	s := newSubscriber(fn)
	ev.subs[id] = s
	s.push(ev.current)
	var once sync.Once
	return func() {
		once.Do(func() {
			ev.mu.Lock()
			_, held := ev.subs[id]
			delete(ev.subs, id)
			ev.mu.Unlock()
			if held { // else closeAll closed it, as the Manager closed
				s.close()
			}
		})
	}
}

func (ev *events) closeAll() {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for id, s := range ev.subs {
		s.close()
		delete(ev.subs, id)
	}
}

// State is where a session stands.
type State int

// The states a Manager publishes.
const (
	// StateUnknown is the state before the store has been read.
	StateUnknown State = iota
	// StateSignedOut: no credentials are held.
	StateSignedOut
	// StateSignedIn: credentials are held and can be used or renewed.
	StateSignedIn
	// StateRenewing: a renewal is under way; the current access token, if
	// still valid, can be used meanwhile.
	StateRenewing
	// StateOffline: the last renewal failed for a transient reason and is
	// being retried with backoff. [Event.Err] says why.
	StateOffline
	// StateEnded: the session ended without the person signing out (the
	// provider rejected the refresh token, or the credentials expired and
	// cannot be renewed). [Event.Err] says why.
	StateEnded
)

// String returns the state's name in lower case, as shown to people.
func (s State) String() string {
	switch s {
	case StateSignedOut:
		return "signed out"
	case StateSignedIn:
		return "signed in"
	case StateRenewing:
		return "renewing"
	case StateOffline:
		return "offline"
	case StateEnded:
		return "ended"
	}
	return "unknown"
}

// Event is one change of a session's state, with what a session panel
// shows. It holds no token.
type Event struct {
	State State
	// Err is the error behind the change: set for [StateEnded] (it then
	// matches [ErrSignInRequired]) and [StateOffline], and for a failed
	// renewal that left the state as it was.
	Err error
	// Subject is the sub claim of the signed-in person, when known.
	Subject string
	// Expiry is when the current access token ends, when known.
	Expiry time.Time
	// LastRenewal is when the credentials were last obtained.
	LastRenewal time.Time
	// RefreshToken reports whether a refresh token is held.
	RefreshToken bool
	// RefreshExpiry is when the refresh token ends, when the provider says.
	RefreshExpiry time.Time
	// At is when the change happened.
	At time.Time
}

// watchPoll is how often the generation file is looked at where the
// platform cannot report its changes.
const watchPoll = time.Second

// watcher notices writes by other processes to the store: they change the
// generation file (see sessionStore.bump), which it watches.
type watcher struct {
	store  *sessionStore
	log    *slog.Logger
	follow func()
	poll   bool // poll even where changes can be reported
	done   chan struct{}
}

func newWatcher(v *sessionStore, log *slog.Logger, follow func(), poll bool) *watcher {
	return &watcher{store: v, log: log, follow: follow, poll: poll, done: make(chan struct{})}
}

// run watches until ctx ends, then closes w.done.
func (w *watcher) run(ctx context.Context) {
	defer close(w.done)
	dir := filepath.Dir(w.store.genPath)
	var events chan fsnotify.Event
	fw, err := fsnotify.NewWatcher()
	if err == nil && w.poll {
		fw.Close()
	} else if err == nil {
		if err = filelock.MkdirPrivate(dir); err == nil {
			err = fw.Add(dir)
		}
		if err == nil {
			events = fw.Events
		}
		defer fw.Close()
	}
	if err != nil {
		w.log.Info("watching the store by polling", "error", err)
	}
	poll := time.NewTicker(watchPoll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-events:
			if filepath.Clean(e.Name) != filepath.Clean(w.store.genPath) {
				continue
			}
		case <-poll.C:
			if events != nil {
				continue // notified instead
			}
		}
		if w.store.changedElsewhere() {
			w.follow()
		}
	}
}

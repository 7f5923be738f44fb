package session

import (
	"sync"
	"time"
)

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
	// being retried with backoff.
	StateOffline
	// StateEnded: the session ended without the person signing out (the
	// provider rejected the refresh token, or the credentials expired and
	// cannot be renewed). Event.Reason says why.
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

// Event is one change of a session's state. It holds no token.
type Event struct {
	State State
	// Reason is a sentence a person can read, set for StateEnded and
	// StateOffline.
	Reason string
	// Err is the error behind the change, if any.
	Err error
	// Subject is the sub claim of the signed-in person, when known.
	Subject string
	// Expiry is when the current access token ends, when known.
	Expiry time.Time
	// LastRenewal is when the credentials were last obtained.
	LastRenewal time.Time
	// At is when the change happened.
	At time.Time
}

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
			delete(ev.subs, id)
			ev.mu.Unlock()
			s.close()
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

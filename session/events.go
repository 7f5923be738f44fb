package session

import "sync"

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

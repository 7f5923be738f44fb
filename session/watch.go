package session

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchPoll is how often the generation file is looked at where the
// platform cannot report its changes.
const watchPoll = time.Second

// watcher notices writes by other processes to the store: they change the
// generation file (see vault.bump), which it watches.
type watcher struct {
	vault  *vault
	log    *slog.Logger
	follow func()
	poll   bool // poll even where changes can be reported
	done   chan struct{}
}

func newWatcher(v *vault, log *slog.Logger, follow func(), poll bool) *watcher {
	return &watcher{vault: v, log: log, follow: follow, poll: poll, done: make(chan struct{})}
}

// run watches until ctx ends, then closes w.done.
func (w *watcher) run(ctx context.Context) {
	defer close(w.done)
	dir := filepath.Dir(w.vault.genPath)
	var events chan fsnotify.Event
	fw, err := fsnotify.NewWatcher()
	if err == nil && w.poll {
		fw.Close()
	} else if err == nil {
		if err = mkdirPrivate(dir); err == nil {
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
			if filepath.Clean(e.Name) != filepath.Clean(w.vault.genPath) {
				continue
			}
		case <-poll.C:
			if events != nil {
				continue // notified instead
			}
		}
		if w.vault.changedElsewhere() {
			w.follow()
		}
	}
}

// followStore takes what another process stored (or removed) as current,
// and says so to subscribers.
func (m *Manager) followStore() {
	ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
	defer cancel()
	m.mu.Lock()
	loaded, mem, dirty := m.loaded, m.session.creds, m.dirty
	m.mu.Unlock()
	if !loaded || dirty {
		return // nothing read yet; or a renewal reconciles memory first
	}
	stored, err := m.vault.read(ctx)
	if err != nil {
		m.log.Warn("reading what another process stored failed", "error", err)
		return
	}
	if same(mem, stored) {
		return
	}
	m.mu.Lock()
	if m.session.creds != mem {
		m.mu.Unlock()
		return // this process moved on meanwhile
	}
	m.setLocked(stored, false)
	m.mu.Unlock()
	if stored == nil {
		m.publish(StateSignedOut, ErrSignedOutElsewhere)
		return
	}
	m.publish(StateSignedIn, nil)
}

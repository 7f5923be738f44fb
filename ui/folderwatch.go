package ui

import (
	"context"

	"github.com/fsnotify/fsnotify"
)

// watchFolder tells on the returned channel, from the moment it returns
// until ctx ends, that something in the folder dir changed (a file
// written, renamed into place or removed), a tell for any number of
// changes not yet taken. It fails when the folder cannot be watched (it
// does not exist, or the system has no watches left).
func watchFolder(ctx context.Context, dir string) (<-chan struct{}, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return nil, err
	}
	changed := make(chan struct{}, 1)
	go func() {
		defer w.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-w.Events:
				if !ok {
					return
				}
				select {
				case changed <- struct{}{}:
				default: // one tell is waiting already
				}
			case _, ok := <-w.Errors:
				if !ok {
					return
				}
			}
		}
	}()
	return changed, nil
}

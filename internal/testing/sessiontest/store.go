package sessiontest

import (
	"context"
	"slices"
	"sync"

	"github.com/latchapp/latch/session"
)

// Store is a [session.Store] in memory that a test can look into: what
// keys it holds, and their values. The zero value is ready to use.
type Store struct {
	mu     sync.Mutex
	values map[string][]byte
}

// Get implements [session.Store].
func (s *Store) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[key]
	if !ok {
		return nil, session.ErrNotFound
	}
	return slices.Clone(v), nil
}

// Set implements [session.Store].
func (s *Store) Set(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = make(map[string][]byte)
	}
	s.values[key] = slices.Clone(value)
	return nil
}

// Delete implements [session.Store].
func (s *Store) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.values[key]; !ok {
		return session.ErrNotFound
	}
	delete(s.values, key)
	return nil
}

// Keys returns the keys held, sorted.
func (s *Store) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.values))
	for k := range s.values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

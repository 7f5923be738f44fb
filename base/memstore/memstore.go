// Package memstore is a session store kept in memory: the one a session
// uses without a keychain, and the one tests look into. It lives apart
// from package session so that both can use it.
package memstore

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// ErrNotFound is what Get and Delete return for a key not held; package
// session gives it to callers as session.ErrNotFound.
var ErrNotFound = errors.New("not found in store")

// Store holds values by key in memory, safe for concurrent use. It
// implements session.Store. The zero value is ready to use.
type Store struct {
	mu     sync.Mutex
	values map[string][]byte
}

// Get returns a copy of the value held under key.
func (s *Store) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[key]
	if !ok {
		return nil, ErrNotFound
	}
	return slices.Clone(v), nil
}

// Set holds a copy of value under key.
func (s *Store) Set(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = make(map[string][]byte)
	}
	s.values[key] = slices.Clone(value)
	return nil
}

// Delete removes key.
func (s *Store) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.values[key]; !ok {
		return ErrNotFound
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

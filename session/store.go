package session

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// ErrNotFound is returned by a Store's Get and Delete for a key it does not
// hold.
var ErrNotFound = errors.New("not found in store")

// Store keeps small secret values by key. The keychain implementation is
// Keychain; MemoryStore serves unit tests.
//
// Implementations are safe for concurrent use. Get and Delete return an
// error wrapping ErrNotFound for a missing key; failures of the underlying
// secret storage wrap ErrKeychainUnavailable.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// MemoryStore is a Store kept in memory, for tests and for programs that
// must not persist anything. The zero value is ready to use.
type MemoryStore struct {
	mu     sync.Mutex
	values map[string][]byte
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[key]
	if !ok {
		return nil, ErrNotFound
	}
	return slices.Clone(v), nil
}

// Set implements Store.
func (s *MemoryStore) Set(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = make(map[string][]byte)
	}
	s.values[key] = slices.Clone(value)
	return nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.values[key]; !ok {
		return ErrNotFound
	}
	delete(s.values, key)
	return nil
}

// Keys returns the keys the store holds, sorted.
func (s *MemoryStore) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.values))
	for k := range s.values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

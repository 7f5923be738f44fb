package session

import (
	"context"
	"slices"
	"sync"
)

// Store keeps small secret values by key: a session's credentials, its
// named tokens, its DPoP key and its queue of revocations, each under a
// key derived from [Config.StoreKey]. The operating system's keychain is
// the Store of package github.com/latchapp/latch/session/keychain.
//
// Implementations are safe for concurrent use, and across processes as
// far as a single Get, Set or Delete goes: the [Manager] serialises
// writers with a file lock. Get and Delete return an error wrapping
// [ErrNotFound] for a key not held; a value that cannot be read back
// whole is [ErrCorruptValue]; failures of the underlying secret storage
// wrap [ErrKeychainUnavailable].
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// memStore is a Store in memory: the store of a Manager without one, or
// after [Manager.KeepInMemory]. The zero value is ready to use.
type memStore struct {
	mu     sync.Mutex
	values map[string][]byte
}

func (s *memStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[key]
	if !ok {
		return nil, ErrNotFound
	}
	return slices.Clone(v), nil
}

func (s *memStore) Set(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = make(map[string][]byte)
	}
	s.values[key] = slices.Clone(value)
	return nil
}

func (s *memStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.values[key]; !ok {
		return ErrNotFound
	}
	delete(s.values, key)
	return nil
}

// keys returns the keys held, sorted, for tests.
func (s *memStore) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.values))
	for k := range s.values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package session

import (
	"context"

	"github.com/latchapp/latch/base/memstore"
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
type memStore = memstore.Store

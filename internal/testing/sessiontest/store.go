package sessiontest

import "github.com/latchapp/latch/base/memstore"

// Store is a [session.Store] in memory that a test can look into: what
// keys it holds (Keys), and their values. The zero value is ready to use.
// It is the store a session keeps in memory without a keychain.
type Store = memstore.Store

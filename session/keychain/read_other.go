//go:build !linux

package keychain

import "github.com/zalando/go-keyring"

// readItem reads the item that go-keyring stores for (service, user).
func readItem(service, user string) (string, error) { return keyring.Get(service, user) }

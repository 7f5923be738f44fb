//go:build !linux

package keychain

// probeKeychain reports nothing: macOS and Windows always have their
// keychain.
func probeKeychain() error { return nil }

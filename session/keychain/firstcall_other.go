//go:build !linux

package keychain

// introduce is Linux's (gnome-keyring's first call); other keychains need
// nothing before a write.
func introduce(service, user string) {}

// Package e2e holds the end-to-end tests of the built latch binary: its
// commands against real providers (npm oidc-provider and the sandbox),
// with the real keychain (gnome-keyring's Secret Service), and the desktop
// app in a real window under Xvfb. They need the peers that scripts/test
// provides; without them they skip, with one line naming it.
package e2e

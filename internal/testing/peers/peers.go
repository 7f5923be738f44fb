// Package peers decides what a test does when a real peer it runs against
// (the npm oidc-provider, the Secret Service, an X display) is missing:
// under the README's test command, scripts/test, which sets
// LATCH_REQUIRE_PEERS=1 and provides every peer, the test fails; under a
// plain `go test`, it is skipped with one line naming scripts/test.
package peers

import (
	"os"
	"testing"
)

// Required reports whether missing peers fail tests instead of skipping
// them.
func Required() bool { return os.Getenv("LATCH_REQUIRE_PEERS") == "1" }

// Missing ends the test because peer is not there: why says what was
// looked for.
func Missing(t testing.TB, peer, why string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is missing: %s", peer, why)
	}
	t.Skipf("skipped: %s is missing (%s); scripts/test provides it", peer, why)
}

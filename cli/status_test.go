package cli_test

import (
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/dexprovider"
	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
)

// TestDexSessionThatCannotBeRenewed signs in to Dex, lets the refresh
// token die, and signs in again: `latch login` must not claim that the
// person is still signed in. Signing out says Dex cannot revoke.
func TestDexSessionThatCannotBeRenewed(t *testing.T) {
	dex := dexprovider.Start(t, dexprovider.Options{RefreshLifetime: 4 * time.Second})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": dex.Issuer, "LATCH_CLIENT_ID": dexprovider.ClientID})
	w.loginNoBrowser(dexprovider.Account.Email, dexprovider.Account.Password)
	time.Sleep(5 * time.Second)
	if code, _, errOut := w.run("token", "--min-ttl", "1h"); code != 1 || !strings.Contains(errOut, "reached its time limit") {
		t.Fatalf("token with a dead refresh token: exit %d, %q; want 1 saying the session reached its time limit", code, errOut)
	}
	// latch status keeps why, after the credentials are gone.
	for range 2 {
		code, out, _ := w.run("status")
		if code != 1 || !strings.Contains(out, "State: ended") || !strings.Contains(out, "reached its time limit") {
			t.Fatalf("status after Dex ended the session: exit %d: %s; want ended, and why", code, out)
		}
	}
	w.loginNoBrowser(dexprovider.Account.Email, dexprovider.Account.Password) // signs in again
	if _, out, _ := w.run("status"); !strings.Contains(out, "State: signed in") || strings.Contains(out, "time limit") {
		t.Fatalf("status after signing in again: %s; want signed in, the old reason gone", out)
	}
	code, _, errOut := w.run("logout")
	if want := "Signed out on this computer. This provider cannot revoke sessions, so your refresh token stays valid there until it expires.\n"; code != 0 || errOut != want {
		t.Fatalf("logout on Dex: exit %d, %q; want 0 and %q", code, errOut, want)
	}
	// Dex offers no sign-out in the browser: Latch says so.
	w.loginNoBrowser(dexprovider.Account.Email, dexprovider.Account.Password)
	code, _, errOut = w.run("logout", "--provider")
	if code != 0 || !strings.Contains(errOut, "this provider offers no sign-out in the browser") {
		t.Fatalf("logout --provider on Dex: exit %d, %q; want 0 saying the provider offers no way", code, errOut)
	}
}

// TestStatusSaysOfflineWhenItIs: with the access token expired and the
// provider down, latch status says the session is offline, not signed in,
// as latch token fails then.
func TestStatusSaysOfflineWhenItIs(t *testing.T) {
	proxy := faultproxy.Start(t, func(issuer string) string {
		return oidcprovider.Start(t, oidcprovider.Options{Issuer: issuer, AccessTokenTTL: 2 * time.Second}).Listening
	})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": proxy.URL, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("alice", oidcprovider.Accounts["alice"])
	proxy.Down()
	time.Sleep(2500 * time.Millisecond) // past the access token's life
	if code, _, _ := w.run("token"); code != 1 {
		t.Fatalf("latch token with the provider down and the token expired: exit %d; want 1", code)
	}
	code, out, _ := w.run("status")
	if code != 0 || !strings.Contains(out, "State: offline: the access token expired and the provider cannot be reached") {
		t.Fatalf("status: exit %d: %s; want offline, saying why", code, out)
	}
	proxy.Up()
	if code, out, _ := w.run("status"); code != 0 || !strings.Contains(out, "State: signed in") || !strings.Contains(out, "Access token: expires in") {
		t.Fatalf("status with the provider back: exit %d: %s; want signed in, renewed", code, out)
	}
}

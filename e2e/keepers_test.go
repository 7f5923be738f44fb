//go:build linux

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/keyringtest"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/syncbuf"
)

// With KeePassXC as the Secret Service, which asks the person before a
// process uses an entry that another process made, a renewal whose
// question nobody answers fails within its deadline, saying that
// KeePassXC is asking, and spends nothing: once the person answers, the
// next renewal works with the same session. Four processes forcing
// renewals for 15 seconds, with the person answering each question,
// never fail, and signing out leaves no entry.
func TestKeePassXCAsksAndNoSessionIsLost(t *testing.T) {
	bin := latchBinary(t)
	needDisplay(t)
	kp := keyringtest.StartKeePassXC(t)
	proxy, env := providerBehindProxy(t, 2*time.Second)
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+kp.Addr)
	// The sign-in makes the entry: it asks nothing.
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"])

	asking := "latch token: " + latchapp.Asking("KeePassXC") + "\n"
	unansweredRenewalSpendsNothing(t, bin, env, proxy, "KeePassXC",
		asking+"latch token: KeePassXC asked whether Latch may use its entry and had no answer in time: try again, and choose Allow when it asks.\n")
	stopAnswering := kp.AnswerAll(t)
	// Then the word that 2-second tokens cannot last the hour asked for.
	if stderr := answeredRenewalRenews(t, bin, env, proxy, "KeePassXC"); !strings.HasPrefix(stderr, asking+"Warning: The token lives ") || strings.Count(stderr, "\n") != 2 {
		t.Fatalf("latch token --min-ttl 1h, KeePassXC's question answered: stderr %q, want %q and the --min-ttl warning alone", stderr, asking)
	}

	calls, failures, firstFailure := runInLoops(bin, env, 4, 15*time.Second, "token", "--min-ttl", "1h")
	t.Logf("4 processes forcing renewals for 15 s with KeePassXC asking: %d calls, %d failed, %d of its windows seen", calls, failures, stopAnswering())
	if failures != 0 || calls == 0 {
		t.Fatalf("%d of %d calls failed, want none; the first said: %s", failures, calls, firstFailure)
	}
	kp.AnswerAll(t)
	signOutLeavesNothing(t, bin, env, kp, "KeePassXC")
}

// The desktop app, launched on a session that another process stored in
// KeePassXC, says in its window that KeePassXC is asking and what to
// answer; it waits for the answer past the keychain's own 10-second
// bound, as long as the question is open, and shows the profile once the
// person allows it.
func TestAppWaitsForKeePassXCAndSaysSo(t *testing.T) {
	bin := latchBinary(t)
	needDisplay(t, "xdotool")
	kp := keyringtest.StartKeePassXC(t)
	_, env := providerBehindProxy(t, time.Hour)
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+kp.Addr)
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"])

	log := &syncbuf.Buffer{}
	waitScreen := startAppLogging(t, bin, env, log)
	said := `said="` + latchapp.Asking("KeePassXC") + `"`
	for start := time.Now(); !strings.Contains(log.String(), said); time.Sleep(100 * time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("the app's log:\n%s\nwant the window to say %s", log.String(), said)
		}
	}
	if line := waitScreen("msg=screen", 5*time.Second); !strings.Contains(line, "screen=loading") {
		t.Fatalf("the app shows %s while KeePassXC asks, want the waiting screen", line)
	}
	kp.WaitRequest(t)
	time.Sleep(12 * time.Second) // past the keychain's bound on a call that asks nobody
	if kp.Requests(t) == nil || strings.Contains(log.String(), "screen=signin") {
		t.Fatalf("the app's log:\n%s\nwant it still waiting on KeePassXC's open question after 12 s", log.String())
	}
	kp.AnswerAll(t)
	if line := waitScreen("screen=profile", 20*time.Second); !strings.Contains(line, "screen=profile") {
		t.Fatalf("the app shows %s once KeePassXC's question is answered, want the profile", line)
	}
	if code, stderr := run(bin, env, "logout"); code != 0 {
		t.Fatalf("latch logout: exit %d, %s", code, stderr)
	}
}

// With KWallet as the Secret Service, its wallet closed (after its
// timeout, say), a renewal whose password question nobody answers fails
// within its deadline, saying that KWallet asks for its password, and
// spends nothing; once the person types the password, the next renewal
// works with the same session, and signing out leaves no item.
func TestKWalletAsksForItsPasswordAndNoSessionIsLost(t *testing.T) {
	lockedKeychainCostsNoSession(t, keyringtest.StartKWallet(t), "KWallet")
}

// The same with GNOME Keyring, its login keyring locked, asking through
// its prompter's window.
func TestGNOMEKeyringAsksForItsPasswordAndNoSessionIsLost(t *testing.T) {
	lockedKeychainCostsNoSession(t, keyringtest.StartGNOMEKeyring(t), "GNOME Keyring")
}

// lockedKeychainCostsNoSession signs in with keeper as the Secret
// Service (the person answering it), locks it, and checks that a renewal
// nobody answers it for fails at its deadline saying that keeper asks
// for its password, spending nothing; that the next renewal, answered,
// works; and that signing out leaves no item.
func lockedKeychainCostsNoSession(t *testing.T, kp *keyringtest.Keeper, keeper string) {
	bin := latchBinary(t)
	proxy, env := providerBehindProxy(t, time.Hour)
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+kp.Addr)
	stopAnswering := kp.AnswerAll(t)
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"])
	stopAnswering()

	kp.Lock(t)
	unansweredRenewalSpendsNothing(t, bin, env, proxy, keeper,
		"latch token: "+latchapp.Asking(keeper)+"\n"+
			"latch token: "+keeper+" asked for your password to unlock it and had no answer in time: try again, and enter it when it asks.\n")
	kp.AnswerAll(t)
	answeredRenewalRenews(t, bin, env, proxy, keeper)
	signOutLeavesNothing(t, bin, env, kp, keeper)
}

// unansweredRenewalSpendsNothing forces a renewal whose question from the
// keychain keeper nobody answers: it must fail within its 4-second
// deadline, its stderr exactly stderr, and issue no refresh token.
func unansweredRenewalSpendsNothing(t *testing.T, bin string, env []string, proxy *faultproxy.Proxy, keeper, stderr string) {
	t.Helper()
	issued := len(proxy.Issued())
	start := time.Now()
	code, stdout, got := runBinary(t, bin, env, "token", "--min-ttl", "1h", "--timeout", "4s")
	took := time.Since(start)
	if code != 1 || stdout != "" || got != stderr {
		t.Fatalf("latch token --min-ttl 1h with %s's question unanswered: exit %d, stdout %q, stderr %q; want 1 and %q", keeper, code, stdout, got, stderr)
	}
	if took > 10*time.Second {
		t.Errorf("the unanswered renewal took %s, want it to end at its 4-second deadline", took.Round(time.Millisecond))
	}
	if n := len(proxy.Issued()); n != issued {
		t.Fatalf("%d refresh tokens were issued while %s asked, want none spent", n-issued, keeper)
	}
}

// answeredRenewalRenews forces a renewal whose question from the keychain
// keeper is answered: it must print a token having spent one refresh
// token. It returns the command's stderr.
func answeredRenewalRenews(t *testing.T, bin string, env []string, proxy *faultproxy.Proxy, keeper string) string {
	t.Helper()
	issued := len(proxy.Issued())
	code, token, stderr := runBinary(t, bin, env, "token", "--min-ttl", "1h")
	if code != 0 || strings.TrimSpace(token) == "" {
		t.Fatalf("latch token --min-ttl 1h, %s's question answered: exit %d, stderr %q; want a token", keeper, code, stderr)
	}
	if n := len(proxy.Issued()); n != issued+1 {
		t.Fatalf("%d refresh tokens issued by the answered renewal, want 1", n-issued)
	}
	return stderr
}

// signOutLeavesNothing signs out and checks that the keychain keeper
// holds none of Latch's items.
func signOutLeavesNothing(t *testing.T, bin string, env []string, kp *keyringtest.Keeper, keeper string) {
	t.Helper()
	if code, stderr := run(bin, env, "logout"); code != 0 || !strings.Contains(stderr, "Signed out.") {
		t.Fatalf("latch logout: exit %d, %s; want signed out", code, stderr)
	}
	if keys := kp.Keys(t, latchapp.KeychainService); len(keys) != 0 {
		t.Fatalf("%s's items of Latch after the sign-out: %q; want none", keeper, keys)
	}
}

// With KeePassXC as the Secret Service and the agent on, four processes
// calling latch token for 30 seconds at 2-second token lifetimes never
// fail, and KeePassXC asks at most once for the whole run: the agent is
// its one client, where each command used to be a new one.
func TestKeePassXCAsksTheAgentOnce(t *testing.T) {
	bin := latchBinary(t)
	needDisplay(t)
	kp := keyringtest.StartKeePassXC(t)
	_, env := providerBehindProxy(t, 2*time.Second)
	env = withAgent(t, append(env, "DBUS_SESSION_BUS_ADDRESS="+kp.Addr))
	loginNoBrowser(t, env, "alice", oidcprovider.Accounts["alice"])

	stopAnswering := kp.AnswerAll(t)
	calls, failures, firstFailure := runInLoops(bin, env, 4, 30*time.Second, "token")
	questions := stopAnswering()
	t.Logf("4 processes through the agent for 30 s with KeePassXC: %d calls, %d failed, %d of its windows seen", calls, failures, questions)
	if failures != 0 || calls == 0 {
		t.Fatalf("%d of %d calls failed, want none; the first said: %s", failures, calls, firstFailure)
	}
	if questions > 1 {
		t.Fatalf("KeePassXC asked %d times during the run; want at most once", questions)
	}
	kp.AnswerAll(t)
	signOutLeavesNothing(t, bin, env, kp, "KeePassXC")
}

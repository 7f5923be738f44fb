package latchapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/latchapp/latch/base/secretservice/prelude"
	"github.com/latchapp/latch/internal/app/sandboxclient"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
	"github.com/latchapp/latch/session/keychain"
)

// TestDescribeEveryError lists every sentinel and typed error that reaches
// a person, with the sentence they read.
func TestDescribeEveryError(t *testing.T) {
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "<html>") }))
	defer notJSON.Close()
	wrapped := func(err error) error { return fmt.Errorf("renewal: %w", err) }
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&ConfigError{Msg: "LATCH_SANDBOX: \"maybe\" is not true or false"}, "LATCH_SANDBOX: \"maybe\" is not true or false."},
		{&IssuerError{Issuer: "http://127.0.0.1:1", Origin: "LATCH_ISSUER", Err: providerError(t, "http://127.0.0.1:1")},
			"The provider at http://127.0.0.1:1 (from LATCH_ISSUER) cannot be reached. Check the address and your connection."},
		{&IssuerError{Issuer: "http://127.0.0.1", Origin: "--issuer", Err: providerError(t, notJSON.URL)},
			"The provider at http://127.0.0.1 (from --issuer) cannot be used: the discovery document is not JSON."},
		{fmt.Errorf("renewal: %w", providerError(t, notJSON.URL)), "The provider cannot be used: the discovery document is not JSON."},
		{wrapped(&session.ProviderError{Op: "renewal", Code: "invalid_grant", StatusCode: 400}),
			"Your session has ended at the provider (it was signed out, revoked or expired). Please sign in again."},
		{&session.ProviderError{Op: "sign-in", Code: "access_denied", Description: "Wrong username or password"}, "Access was denied: Wrong username or password."},
		{&session.ProviderError{Op: "sign-in", Code: "access_denied"}, "Access was denied by the provider."},
		{&session.ProviderError{Op: "device sign-in", Code: "expired_token"}, "The sign-in code expired before it was used. Please start again."},
		{&session.ProviderError{Op: "renewal", StatusCode: 503}, "The provider is not answering right now. Please try again in a moment."},
		{&session.ProviderError{Op: "renewal", Code: "temporarily_unavailable", StatusCode: 400}, "The provider is not answering right now. Please try again in a moment."},
		{&session.ProviderError{Op: "renewal", Code: "invalid_client", StatusCode: 401}, "The provider refuses Latch as it is configured (invalid_client): check the client ID and the scopes; trying again will not help."},
		{&session.ProviderError{Op: "renewal", Code: "invalid_grant", StatusCode: 400, Description: "refresh token reuse detected"}, "Your session was ended because a refresh token was used twice, which can mean it was copied. Please sign in again."},
		{&session.ProviderError{Op: "renewal", Code: "invalid_request", StatusCode: 400, Description: "Refresh token expired."}, "Your session reached its time limit at the provider. Please sign in again."},
		{&session.ProviderError{Op: "renewal", Code: "invalid_request", StatusCode: 400, Description: "Refresh token has already been claimed by another client."}, "Your session was ended because a refresh token was used twice, which can mean it was copied. Please sign in again."},
		{&session.ProviderError{Op: "renewal", Code: "invalid_grant", StatusCode: 400, Description: "session ended after inactivity"}, "Your session ended after a time without use. Please sign in again."},
		{&session.ProviderError{Op: "renewal", Code: "invalid_grant", StatusCode: 400, Description: "grant revoked"}, "Your session was revoked or signed out at the provider. Please sign in again."},
		{wrapped(session.ErrSignedOutElsewhere), "You were signed out in another window or program."},
		{wrapped(session.ErrMalformedAnswer), "The provider's answer could not be read (a network sign-in page or a proxy may be in the way). Latch will try again."},
		{fmt.Errorf("signing out: %w", keychain.ErrMissing), "No system keychain is running. Start one (such as gnome-keyring or KWallet) and try again."},
		{wrapped(keychain.ErrLocked), "The system keychain is locked, or was told not to let Latch in. Unlock it, or allow Latch, and try again."},
		{wrapped(&keychain.AskingError{Keeper: "KeePassXC"}), "KeePassXC asked whether Latch may use its entry and had no answer in time: try again, and choose Allow when it asks."},
		{wrapped(&keychain.AskingError{Keeper: "GNOME Keyring"}), "GNOME Keyring asked for your password to unlock it and had no answer in time: try again, and enter it when it asks."},
		{wrapped(&keychain.AskingError{}), "The system keychain asked for your password and had no answer in time: try again, and enter it when it asks."},
		{wrapped(keychain.ErrTimeout), "The system keychain did not answer. If it is asking for your password, answer it; then try again."},
		{session.ErrRevocationUnsupported, "This provider cannot revoke sessions, so your refresh token stays valid there until it expires."},
		{fmt.Errorf("%w: %w", session.ErrRevocationPending, session.ErrProviderUnreachable), "The provider could not be told yet; it will be the next time it can be reached."},
		{&session.ProviderError{Op: "sign-in", Code: "x", Description: "bad\x1b]0;pwned\x07 thing\nforged"}, "The provider refused the sign-in: bad ]0;pwned thing forged."},
		{&session.ProviderError{Op: "revocation", StatusCode: 404}, "The provider refused the revocation: Not Found."},
		{&session.ProviderError{Op: "sign-in", Code: "access_denied", Description: "denied\u202e.gnp\u2066x\u2069"}, "Access was denied: denied .gnp x."},
		{session.ErrSignInTimedOut, "The sign-in timed out. Please try again."},
		{&sandboxclient.StartError{Addr: "127.0.0.1:8642", Err: fmt.Errorf("sandbox: a Latch sandbox already runs at http://127.0.0.1:8642: %w", os.ErrExist)},
			"A Latch sandbox already runs at 127.0.0.1:8642: every command and the app use it as it is. Stop it first to start another there, or give this one another address (--addr)."},
		{wrapped(session.ErrSessionExpired), "Your session expired. Please sign in again."},
		{wrapped(session.ErrSignInRequired), "Your session cannot be renewed. Please sign in again."},
		{session.ErrNoCredentials, "You are not signed in."},
		{fmt.Errorf("keychain read: %w", keychain.ErrNoBus), "The session bus that DBUS_SESSION_BUS_ADDRESS names cannot be reached, so the system keychain cannot be asked. Point DBUS_SESSION_BUS_ADDRESS at your session bus, or unset it, and try again."},
		{wrapped(session.ErrKeychainUnavailable), "The system keychain is unavailable. Unlock your keyring, or start one such as gnome-keyring, and try again."},
		{wrapped(session.ErrCorruptValue), "The stored session is damaged and cannot be read. Please sign in again."},
		{wrapped(session.ErrProviderUnreachable), "The provider cannot be reached. Check your connection and try again."},
		{wrapped(session.ErrUnverified), "The provider's answer could not be verified, or did not belong to this sign-in, so it was not accepted. Please try again."},
		{fmt.Errorf("%w: %w", session.ErrNotGranted, &session.ProviderError{Op: "API token request", Code: "invalid_scope", Description: "refresh token missing requested scope", StatusCode: 400}),
			"The sign-in did not ask for this API, so the provider will not issue a token for it. Declare it in the config file ([apis.NAME] with its audience and scopes) and sign in again."},
		{fmt.Errorf("%w: the sign-in did not ask for https://stock.example.test/; sign in again to include it", session.ErrNotGranted),
			"The sign-in did not ask for this API, so the provider will not issue a token for it. Declare it in the config file ([apis.NAME] with its audience and scopes) and sign in again."},
		{fmt.Errorf("opening the browser: %w (tried xdg-open)", session.ErrNoBrowser), "No browser could be opened on this computer. Open the sign-in address in a browser yourself, or sign in on another device."},
		{fmt.Errorf("the key is gone: %w", session.ErrDPoPKeyLost), "The key that binds your session to this computer is gone from the keychain or was replaced, so the session has ended. Please sign in again."},
		{fmt.Errorf("%w: listen tcp4 127.0.0.1:0: socket: too many open files", session.ErrNoLoopback), "Latch could not listen on this computer for the browser's answer. Sign in on another device instead."},
		{ErrNoIDToken, "The provider sent no ID token, so it is not known who signed in."},
		{profile.ErrNoMetadataAPI, "This provider offers no metadata API."},
		{profile.CheckKey("a.b"), `The metadata key "a.b" is not allowed: names must not contain '.' or '$'.`},
		{profile.CheckKey(""), "A metadata key name is empty; give every key a name."},
		{&profile.APIError{API: "metadata API", StatusCode: 401}, "The metadata API did not accept your token (Unauthorized). Please sign in again."},
		{&profile.APIError{API: "metadata API", StatusCode: 403, Message: "Insufficient scope"}, "The metadata API refused this (Insufficient scope). Signing in again may grant the permission it needs."},
		{&profile.APIError{API: "metadata API", StatusCode: 400, Message: "Payload validation error"}, "The metadata API refused the request: Payload validation error."},
		{&profile.APIError{API: "userinfo endpoint", StatusCode: 502}, "The userinfo endpoint failed (Bad Gateway). Please try again in a moment."},
		{profile.ErrSubjectMismatch, "The provider's user information is about another person, so it was not used."},
		{fmt.Errorf("metadata: %w", context.DeadlineExceeded), "It took too long, so it was stopped. Please try again."},
		{context.Canceled, "Cancelled."},
		{errors.New("something else went wrong"), "Something else went wrong."},
	} {
		if got := Describe(tc.err); got != tc.want {
			t.Errorf("Describe(%v)\n got %q\nwant %q", tc.err, got, tc.want)
		}
	}
}

// TestDescribeSaysNoPrefixOrToken checks what every sentence avoids: a
// package prefix, a doubled phrase, a line break.
func TestDescribeSaysNoPrefixOrToken(t *testing.T) {
	for _, err := range []error{
		session.ErrKeychainUnavailable, session.ErrNoCredentials, &session.ProviderError{Op: "renewal", StatusCode: http.StatusBadGateway},
		providerError(t, "http://127.0.0.1:1"),
	} {
		got := Describe(err)
		for _, bad := range []string{"session:", "profile:", "cli:", "\n", "Latch"} {
			if strings.Contains(got, bad) {
				t.Errorf("Describe(%v) = %q, which contains %q", err, got, bad)
			}
		}
	}
}

// providerError is what a session on the issuer says when it is asked
// for its provider: a real discovery error.
func providerError(t *testing.T, issuer string) error {
	t.Helper()
	m, err := session.New(session.Config{Issuer: issuer, ClientID: "c", LockDir: t.TempDir(), ManualRenewal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, err = m.Provider(t.Context())
	if err == nil {
		t.Fatalf("discovery at %s worked; want it to fail", issuer)
	}
	return err
}

// A session bus that another user holds is said with its address and
// owner, and what to do.
func TestDescribeAnotherUsersBus(t *testing.T) {
	err := fmt.Errorf("keychain get %q: %w: %w", "latch", session.ErrKeychainUnavailable, &prelude.ForeignBusError{Addr: "unix:abstract=/tmp/dbus-x", UID: 0})
	want := "The session bus that DBUS_SESSION_BUS_ADDRESS names (unix:abstract=/tmp/dbus-x) belongs to another user (root, uid 0), so Latch sends it nothing. Unset DBUS_SESSION_BUS_ADDRESS or point it at your own session bus, and try again."
	if got := Describe(err); got != want {
		t.Errorf("Describe gave %q; want %q", got, want)
	}
}

func TestAboutIssuerNamesTheSetting(t *testing.T) {
	cfg, err := LoadConfig(Settings{}, envOf(map[string]string{"LATCH_ISSUER": "http://127.0.0.1:18200/realms/x", "LATCH_CLIENT_ID": "c"}), "")
	if err != nil {
		t.Fatal(err)
	}
	rejected := fmt.Errorf("discovery answered 404 Not Found: %w", session.ErrClientRejected)
	got := Describe(cfg.AboutIssuer(rejected))
	if !strings.Contains(got, "http://127.0.0.1:18200/realms/x (from LATCH_ISSUER)") {
		t.Errorf("a discovery failure is described as %q; want the whole issuer and its setting", got)
	}
	if other := errors.New("something else"); cfg.AboutIssuer(other) != other {
		t.Error("an error that is not the provider's was wrapped; want it as it is")
	}
}

package latchapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/latchapp/latch/base/secretservice/prelude"
	"github.com/latchapp/latch/internal/app/sandboxclient"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
	"github.com/latchapp/latch/session/keychain"
)

// IssuerError is a provider that cannot be used, with the setting its
// issuer came from.
type IssuerError struct {
	Issuer string
	// Origin is where the issuer was set: "--issuer", "LATCH_ISSUER", ...
	Origin string
	Err    error
}

// Error implements error.
func (e *IssuerError) Error() string {
	return fmt.Sprintf("issuer %s (from %s): %v", e.Issuer, e.Origin, e.Err)
}

// Unwrap returns the cause.
func (e *IssuerError) Unwrap() error { return e.Err }

// DescribedError is a failure already worded for people elsewhere (by
// the agent, which ran the request): [Describe] says its Text as it is.
// It matches Kind, the error callers branch on, when there is one.
type DescribedError struct {
	Text string
	Kind error
}

// Error implements error.
func (e *DescribedError) Error() string { return e.Text }

// Unwrap returns Kind.
func (e *DescribedError) Unwrap() error { return e.Kind }

// Describe turns an error into the sentences a person reads: what
// happened and, where there is something to do, what to do. It is the one
// place where Latch words errors; callers put their context in front
// ("Not saved. " + Describe(err)). Text that came from outside (a
// provider's description) is cleaned of control characters.
func Describe(err error) string {
	var (
		foreignBus *prelude.ForeignBusError
		asking     *keychain.AskingError
		config     *ConfigError
		issuer     *IssuerError
		provider   *session.ProviderError
		api        *profile.APIError
		key        *profile.KeyError

		sandboxErr *sandboxclient.StartError
		described  *DescribedError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &described):
		return described.Text
	case errors.As(err, &sandboxErr):
		return describeSandbox(sandboxErr)
	case errors.As(err, &config):
		return sentence(config.Msg)
	case errors.As(err, &issuer):
		if errors.Is(err, session.ErrProviderUnreachable) {
			return fmt.Sprintf("The provider at %s (from %s) cannot be reached. Check the address and your connection.", issuer.Issuer, issuer.Origin)
		}
		what := Describe(issuer.Err)
		if errors.Is(err, session.ErrClientRejected) {
			what = problem(issuer.Err, session.ErrClientRejected)
		}
		return sentence(fmt.Sprintf("The provider at %s (from %s) cannot be used: %s", issuer.Issuer, issuer.Origin, what))
	case errors.Is(err, session.ErrRevocationUnsupported):
		return "This provider cannot revoke sessions, so your refresh token stays valid there until it expires."
	case errors.Is(err, session.ErrRevocationPending):
		return "The provider could not be told yet; it will be the next time it can be reached."
	case errors.Is(err, session.ErrNotGranted):
		return "The sign-in did not ask for this API, so the provider will not issue a token for it. Declare it in the config file ([apis.NAME] with its audience and scopes) and sign in again."
	case errors.Is(err, session.ErrDPoPKeyLost):
		return "The key that binds your session to this computer is gone from the keychain or was replaced, so the session has ended. Please sign in again."
	case errors.As(err, &provider):
		return describeProvider(provider)
	case errors.Is(err, session.ErrNoBrowser):
		return "No browser could be opened on this computer. Open the sign-in address in a browser yourself, or sign in on another device."
	case errors.Is(err, session.ErrSignInTimedOut):
		return "The sign-in timed out. Please try again."
	case errors.Is(err, session.ErrSessionExpired):
		return "Your session expired. Please sign in again."
	case errors.Is(err, session.ErrSignedOutElsewhere):
		return "You were signed out in another window or program."
	case errors.Is(err, session.ErrSignInRequired):
		return "Your session cannot be renewed. Please sign in again."
	case errors.Is(err, session.ErrNoCredentials):
		return "You are not signed in."
	case errors.As(err, &foreignBus):
		return fmt.Sprintf("The session bus that DBUS_SESSION_BUS_ADDRESS names (%s) belongs to another user (%s), so Latch sends it nothing. Unset DBUS_SESSION_BUS_ADDRESS or point it at your own session bus, and try again.", Printable(foreignBus.Addr), userName(foreignBus.UID))
	case errors.As(err, &asking):
		return askedTooLong(asking.Keeper)
	case errors.Is(err, keychain.ErrNoBus):
		return "The session bus that DBUS_SESSION_BUS_ADDRESS names cannot be reached, so the system keychain cannot be asked. Point DBUS_SESSION_BUS_ADDRESS at your session bus, or unset it, and try again."
	case errors.Is(err, keychain.ErrMissing):
		return "No system keychain is running. Start one (such as gnome-keyring or KWallet) and try again."
	case errors.Is(err, keychain.ErrLocked):
		return "The system keychain is locked, or was told not to let Latch in. Unlock it, or allow Latch, and try again."
	case errors.Is(err, keychain.ErrTimeout):
		return "The system keychain did not answer. If it is asking for your password, answer it; then try again."
	case errors.Is(err, session.ErrKeychainUnavailable):
		return "The system keychain is unavailable. Unlock your keyring, or start one such as gnome-keyring, and try again."
	case errors.Is(err, session.ErrCorruptValue):
		return "The stored session is damaged and cannot be read. Please sign in again."
	case errors.Is(err, session.ErrMalformedAnswer):
		return "The provider's answer could not be read (a network sign-in page or a proxy may be in the way). Latch will try again."
	case errors.Is(err, session.ErrProviderUnreachable):
		return "The provider cannot be reached. Check your connection and try again."
	case errors.Is(err, session.ErrClientRejected):
		return sentence("The provider cannot be used: " + problem(err, session.ErrClientRejected))
	case errors.Is(err, session.ErrUnverified):
		return "The provider's answer could not be verified, or did not belong to this sign-in, so it was not accepted. Please try again."
	case errors.Is(err, session.ErrNoLoopback) && errors.Is(err, syscall.EADDRINUSE):
		return "Another program is using the redirect address's port" + portOf(err) + ", so Latch cannot listen there for the browser's answer. Close that program, or set another redirect_url."
	case errors.Is(err, session.ErrNoLoopback):
		return "Latch could not listen on this computer for the browser's answer. Sign in on another device instead."
	case errors.Is(err, ErrNoIDToken):
		return "The provider sent no ID token, so it is not known who signed in."
	case errors.Is(err, profile.ErrNoMetadataAPI):
		return "This provider offers no metadata API."
	case errors.As(err, &key):
		if key.Key == "" {
			return "A metadata key name is empty; give every key a name."
		}
		return fmt.Sprintf("The metadata key %q is not allowed: names must not contain '.' or '$'.", clean(key.Key))
	case errors.As(err, &api):
		return describeAPI(api)
	case errors.Is(err, profile.ErrSubjectMismatch):
		return "The provider's user information is about another person, so it was not used."
	case errors.Is(err, context.DeadlineExceeded):
		return "It took too long, so it was stopped. Please try again."
	case errors.Is(err, context.Canceled):
		return "Cancelled."
	}
	return sentence(err.Error())
}

// describeProvider words an OAuth error answer.
func describeProvider(e *session.ProviderError) string {
	desc := clean(e.Description)
	switch {
	case errors.Is(e, session.ErrSignInRequired):
		return describeEnd(e.Description)
	case e.Code == "access_denied" && desc != "":
		return sentence("Access was denied: " + desc)
	case e.Code == "access_denied":
		return "Access was denied by the provider."
	case e.Code == "expired_token":
		return "The sign-in code expired before it was used. Please start again."
	case errors.Is(e, session.ErrProviderUnreachable) && e.RetryAfter > 0:
		return fmt.Sprintf("The provider asked Latch to wait before asking again; try again after %s.", time.Now().Add(e.RetryAfter).Add(time.Second/2).Local().Format(time.TimeOnly))
	case errors.Is(e, session.ErrProviderUnreachable):
		return "The provider is not answering right now. Please try again in a moment."
	case errors.Is(e, session.ErrClientRejected):
		return sentence("The provider refuses Latch as it is configured (" + clean(e.Code) + "): check the client ID and the scopes; trying again will not help")
	}
	what := desc
	switch {
	case what == "" && e.Code != "":
		what = clean(e.Code)
	case what == "":
		what = http.StatusText(e.StatusCode)
	}
	return sentence("The provider refused the " + e.Op + ": " + what)
}

// describeEnd words why the provider ended a session, as far as its words
// tell (its error_description): a refresh token used twice, the session's
// time limit, inactivity, a revocation.
func describeEnd(description string) string {
	d := strings.ToLower(description)
	switch {
	case strings.Contains(d, "reuse"), strings.Contains(d, "already used"), strings.Contains(d, "already been used"),
		strings.Contains(d, "already been claimed"), strings.Contains(d, "replay"):
		return "Your session was ended because a refresh token was used twice, which can mean it was copied. Please sign in again."
	case strings.Contains(d, "inactiv"), strings.Contains(d, "idle"):
		return "Your session ended after a time without use. Please sign in again."
	case strings.Contains(d, "expired"):
		return "Your session reached its time limit at the provider. Please sign in again."
	case strings.Contains(d, "revoked"), strings.Contains(d, "signed out"), strings.Contains(d, "logged out"):
		return "Your session was revoked or signed out at the provider. Please sign in again."
	}
	return "Your session has ended at the provider (it was signed out, revoked or expired). Please sign in again."
}

// problem is what err says of target: the text of the innermost error in
// err's chain that still matches target, without the context that
// callers put in front ("renewal: ...").
func problem(err, target error) string {
	for {
		inner := errors.Unwrap(err)
		if inner == nil || !errors.Is(inner, target) {
			return err.Error()
		}
		err = inner
	}
}

// describeAPI words an error answer of the userinfo endpoint or the
// metadata API.
func describeAPI(e *profile.APIError) string {
	msg := clean(e.Message)
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return sentence(fmt.Sprintf("The %s did not accept your token (%s). Please sign in again", e.API, msg))
	case http.StatusForbidden:
		return sentence(fmt.Sprintf("The %s refused this (%s). Signing in again may grant the permission it needs", e.API, msg))
	}
	if e.StatusCode >= 500 {
		return sentence(fmt.Sprintf("The %s failed (%s). Please try again in a moment", e.API, msg))
	}
	return sentence(fmt.Sprintf("The %s refused the request: %s", e.API, msg))
}

// sentence makes s one clean sentence: control characters and runs of
// space folded, a capital first letter, a full stop at the end.
func sentence(s string) string {
	s = clean(s)
	if s == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

// clean folds control characters, format characters (bidirectional and
// zero-width ones) and runs of white space into single spaces, so that
// text from outside cannot forge lines, drive a terminal or turn the
// sentence around it.
func clean(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	}), " ")
}

// portOf is " PORT" for the address a listener could not take, "" when
// err does not say.
func portOf(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		if _, port, e := net.SplitHostPort(op.Addr.String()); e == nil {
			return " " + port
		}
	}
	return ""
}

// userName names the user of uid for people: the login name and the uid,
// or the uid alone.
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return fmt.Sprintf("%s, uid %d", Printable(u.Username), uid)
	}
	return fmt.Sprintf("uid %d", uid)
}

// Asking is what to say while the keychain named keeper (see
// [keychain.AskingError]) asks the person: KeePassXC asks whether a
// program may use its entry; the others ask for the password that unlocks
// them.
func Asking(keeper string) string {
	switch keeper {
	case "KeePassXC":
		return "KeePassXC is asking whether Latch may use its entry: choose Allow in its window."
	case "":
		return "The system keychain is asking for your password: enter it in its window."
	}
	return keeper + " is asking for your password to unlock it: enter it in its window."
}

// askedTooLong says that the keychain named keeper asked the person and
// had no answer before the command gave up.
func askedTooLong(keeper string) string {
	switch keeper {
	case "KeePassXC":
		return "KeePassXC asked whether Latch may use its entry and had no answer in time: try again, and choose Allow when it asks."
	case "":
		return "The system keychain asked for your password and had no answer in time: try again, and enter it when it asks."
	}
	return keeper + " asked for your password to unlock it and had no answer in time: try again, and enter it when it asks."
}

// AboutIssuer is err, when it is a failure to use the provider (it cannot
// be reached, or cannot be used as configured), as an [*IssuerError]
// naming the issuer in full and the setting it came from; any other
// error, or one on the sandbox, as it is.
func (c Config) AboutIssuer(err error) error {
	var already *IssuerError
	if c.Sandbox || errors.As(err, &already) || !errors.Is(err, session.ErrClientRejected) && !errors.Is(err, session.ErrProviderUnreachable) {
		return err
	}
	return &IssuerError{Issuer: c.Issuer, Origin: c.Origin("issuer"), Err: err}
}

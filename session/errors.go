package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/base/memstore"
)

// Errors for what callers branch on, grouped by what the caller must do.
// Errors returned by this package wrap one of these or are a
// [*ProviderError]; test them with [errors.Is] and [errors.As]. Their
// texts are for logs and developers; an application words them for
// people itself.
var (
	// ErrNoCredentials means nobody is signed in: no credentials are held.
	ErrNoCredentials = errors.New("no credentials stored")

	// ErrSignInRequired means the session cannot go on without the person
	// signing in again: the provider refused the refresh token
	// (invalid_grant, which a [*ProviderError] matching it carries), or one
	// of the errors below that match it says why.
	ErrSignInRequired = errors.New("sign-in required")

	// ErrSessionExpired means the credentials ran out: the access token
	// expired and the refresh token is missing or known to have expired.
	// It matches [ErrSignInRequired].
	ErrSessionExpired = fmt.Errorf("session expired: %w", ErrSignInRequired)

	// ErrSignedOutElsewhere means another program using the same store
	// signed out. It matches [ErrSignInRequired].
	ErrSignedOutElsewhere = fmt.Errorf("signed out in another program: %w", ErrSignInRequired)

	// ErrDPoPKeyLost means the key that the session's tokens are bound to
	// ([Config.DPoP]) is gone from the store, or was replaced there: the
	// tokens cannot be used without it, so the session has ended. It
	// matches [ErrSignInRequired].
	ErrDPoPKeyLost = fmt.Errorf("the key that this session's tokens are bound to is gone from the store or was replaced: %w", ErrSignInRequired)

	// ErrSignInTimedOut means a sign-in was not completed in the time it
	// was given ([BrowserLogin.Timeout], or the device code's life). It
	// matches [context.DeadlineExceeded].
	ErrSignInTimedOut = fmt.Errorf("sign-in timed out: %w", context.DeadlineExceeded)

	// ErrNoLoopback means no listener could be opened on 127.0.0.1 for the
	// browser's answer to a sign-in: sign in with
	// [Manager.StartDeviceLogin] instead, which needs none.
	ErrNoLoopback = errors.New("no loopback listener for the browser's answer")

	// ErrNoBrowser means no browser could be started to sign in: $BROWSER
	// names none that runs, and the system's opener (xdg-open, open, the
	// Windows URL handler) is missing or failed. Show the address to the
	// person instead (see [BrowserLogin.ShowURL]).
	ErrNoBrowser = errors.New("no browser could be opened")

	// ErrUnverified means an answer failed the checks of a sign-in or a
	// renewal and was refused: an ID token whose signature, issuer,
	// audience, authorized party, nonce, times or subject are wrong, or a
	// browser callback that is not the answer to this sign-in (from
	// another issuer, or without a code).
	ErrUnverified = errors.New("the answer could not be verified")

	// ErrProviderUnreachable means the provider could not be reached or
	// answered with a transient failure (network error, 5xx, 429): try
	// again later. Renewals retry by themselves, and stored credentials
	// are kept.
	ErrProviderUnreachable = errors.New("provider unreachable")

	// ErrMalformedAnswer means the provider answered with something that
	// is not an OAuth answer: unreadable JSON, an HTML page (a captive
	// portal's, a proxy's error page), a token response without a token.
	// It is taken as transient, and matches [ErrProviderUnreachable].
	ErrMalformedAnswer = fmt.Errorf("the provider's answer could not be read: %w", ErrProviderUnreachable)

	// ErrClientRejected means the provider cannot serve this client as it
	// is configured: it refused the client or its request
	// (invalid_client, unauthorized_client, invalid_scope, ...), its
	// discovery document cannot be used, or it issued a token of a type
	// that was not asked for. Trying again will not help: the
	// configuration must change. Credentials are kept.
	ErrClientRejected = errors.New("the provider cannot serve this client as configured")

	// ErrNotGranted means the provider will not issue a named token: the
	// sign-in did not include its API (declare it in [Config.APIs] and
	// sign in again), or no API is declared or held under that name.
	ErrNotGranted = errors.New("no token can be had for this API")

	// ErrKeychainUnavailable means the [Store] could not be used: the
	// operating system's keychain is missing, locked, or did not answer
	// in time. Stores wrap it in their failures.
	ErrKeychainUnavailable = errors.New("keychain unavailable")

	// ErrCorruptValue means a stored value could not be read back intact.
	// Stores return it for a value they cannot read; credentials that
	// cannot be read mean signing in again.
	ErrCorruptValue = errors.New("stored value is corrupt")

	// ErrNotFound is what a [Store]'s Get and Delete return for a key it
	// does not hold.
	ErrNotFound = memstore.ErrNotFound

	// ErrRevocationPending means the provider could not be told of a
	// sign-out yet: the local credentials are gone, and the revocation is
	// kept in the store and sent when the provider can be reached.
	ErrRevocationPending = errors.New("the provider has not been told of the sign-out yet")

	// ErrRevocationUnsupported means the provider offers no revocation
	// endpoint: after a sign-out the refresh token stays valid there until
	// it expires.
	ErrRevocationUnsupported = errors.New("the provider cannot revoke tokens")
)

// ProviderError is an OAuth 2.0 error response (RFC 6749 section 5.2) from
// the provider, or the error parameters of an authorization redirect.
//
// Under [errors.Is] it matches [ErrSignInRequired] when it ends the
// session (invalid_grant, or a refresh token the provider says is gone),
// [ErrProviderUnreachable] when it is transient (5xx, 429,
// temporarily_unavailable) and [ErrClientRejected] when the client or its
// request is refused as configured.
type ProviderError struct {
	// Op names what was being done: "sign-in", "renewal", "device sign-in",
	// "revocation".
	Op string
	// Code is the OAuth error code, for example "invalid_grant" or
	// "access_denied". It may be empty when the provider sent none.
	Code string
	// Description is the provider's error_description, meant for people.
	Description string
	// StatusCode is the HTTP status of the response, 0 for a redirect.
	StatusCode int
	// RetryAfter is how long the provider asked to wait (the Retry-After
	// header), 0 when it did not say.
	RetryAfter time.Duration
}

// Error implements error. It never contains a token.
func (e *ProviderError) Error() string {
	msg := e.Op + " refused by the provider"
	switch {
	case e.Code != "" && e.Description != "":
		msg += ": " + e.Code + ": " + e.Description
	case e.Code != "":
		msg += ": " + e.Code
	case e.StatusCode != 0:
		msg += ": " + http.StatusText(e.StatusCode)
	}
	return msg
}

// Is reports whether the error matches [ErrSignInRequired],
// [ErrProviderUnreachable] or [ErrClientRejected].
func (e *ProviderError) Is(target error) bool {
	switch target {
	case ErrSignInRequired:
		return e.endsSession()
	case ErrProviderUnreachable:
		return e.transient()
	case ErrClientRejected:
		return e.rejectsClient()
	}
	return false
}

// transient reports whether the provider said to try again later: the
// temporarily_unavailable code, 429, or a 5xx status.
func (e *ProviderError) transient() bool {
	return e.Code == "temporarily_unavailable" || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// deadRefreshToken matches the descriptions with which providers that do
// not follow RFC 6749 here (Dex answers invalid_request) refuse a refresh
// token that is gone.
var deadRefreshToken = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)refresh.?token.*(expired|revoked|invalid|not found|already|claimed|used|reuse)`)
})

// endsSession reports whether the answer means the grant is gone, so that
// the person must sign in again: invalid_grant, or a 400 whose description
// says that the refresh token expired, was revoked, is invalid or was
// already used.
func (e *ProviderError) endsSession() bool {
	if e.Code == "invalid_grant" {
		return true
	}
	return (e.Op == "renewal" || e.Op == opNamedToken) && e.StatusCode == http.StatusBadRequest && deadRefreshToken().MatchString(e.Description)
}

// rejectsClient reports whether the answer refuses the client or request
// as configured, so that trying again will not help.
func (e *ProviderError) rejectsClient() bool {
	if e.endsSession() || e.transient() {
		return false
	}
	switch e.Code {
	case "invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_request", "invalid_target":
		return true
	}
	return false
}

// providerError classes every answer to a token request, in one place: a
// [*ProviderError] for an OAuth error response (which says itself whether
// it ends the session, is transient or rejects the client),
// [ErrMalformedAnswer] for an answer that is not OAuth (unreadable JSON,
// an HTML page, no access token), [ErrProviderUnreachable] for a network
// failure or timeout. Cancellation is wrapped as it is.
func providerError(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		pe := &ProviderError{Op: op, Code: re.ErrorCode, Description: re.ErrorDescription}
		if re.Response != nil {
			pe.StatusCode = re.Response.StatusCode
			pe.RetryAfter = retryAfter(re.Response.Header.Get("Retry-After"), time.Now())
		}
		if pe.Code == "" && !pe.transient() {
			// An error status without an OAuth error: a portal's or a
			// proxy's page.
			return fmt.Errorf("%s: %w (%s)", op, ErrMalformedAnswer, http.StatusText(pe.StatusCode))
		}
		return pe
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrMalformedAnswer) || errors.Is(err, ErrClientRejected) {
		return fmt.Errorf("%s: %w", op, err) // a redirect refused, too large an answer
	}
	if msg := err.Error(); strings.HasPrefix(msg, "oauth2: cannot parse") || strings.Contains(msg, "missing access_token") {
		return fmt.Errorf("%s: %w", op, ErrMalformedAnswer)
	}
	return fmt.Errorf("%s: %w: %w", op, ErrProviderUnreachable, err)
}

// maxRetryAfter is the longest wait a Retry-After header is obeyed for.
const maxRetryAfter = 10 * time.Minute

// retryAfter reads a Retry-After header (RFC 9110 section 10.2.3): delay
// seconds or an HTTP date, at most maxRetryAfter; 0 when absent or
// unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		d = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = at.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// readProviderError reads an OAuth error response (RFC 6749 section 5.2)
// from resp into a [*ProviderError]. A body that is not such JSON still
// gives an error with the status.
func readProviderError(op string, resp *http.Response) error {
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&body)
	return &ProviderError{Op: op, Code: body.Error, Description: body.Description, StatusCode: resp.StatusCode}
}

// opNamedToken names a named-token request in errors.
const opNamedToken = "API token request"

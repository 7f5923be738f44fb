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
	"time"

	"golang.org/x/oauth2"
)

// Sentinel errors for what callers branch on. Errors returned by this
// package wrap one of these, a [*ProviderError] or a [*DiscoveryError];
// test them with [errors.Is] and [errors.As]. Their texts are for logs and
// developers; an application words them for people itself.
var (
	// ErrNoCredentials means no credentials are stored: nobody is signed in.
	ErrNoCredentials = errors.New("no credentials stored")

	// ErrSignInRequired means the session cannot be continued without the
	// person signing in again: there is no refresh token, or the provider
	// rejected it (invalid_grant). A [*ProviderError] that matches it
	// carries the provider's error code.
	ErrSignInRequired = errors.New("sign-in required")

	// ErrSessionExpired means the credentials ran out: the access token
	// expired and the refresh token is missing or known to have expired.
	// It matches [ErrSignInRequired] too.
	ErrSessionExpired = fmt.Errorf("session expired: %w", ErrSignInRequired)

	// ErrSignInTimedOut means a sign-in was not completed in the time it
	// was given. It matches [context.DeadlineExceeded] too.
	ErrSignInTimedOut = fmt.Errorf("sign-in timed out: %w", context.DeadlineExceeded)

	// ErrKeychainUnavailable means the operating system's keychain could not
	// be used: it is missing, locked, or did not answer in time. The three
	// kinds below match it, and say which.
	ErrKeychainUnavailable = errors.New("keychain unavailable")

	// ErrKeychainMissing means there is no keychain service to ask (on
	// Linux: no D-Bus session, or no Secret Service such as gnome-keyring).
	ErrKeychainMissing = fmt.Errorf("no keychain service is running: %w", ErrKeychainUnavailable)

	// ErrKeychainLocked means the keychain is locked and was not unlocked.
	ErrKeychainLocked = fmt.Errorf("the keychain is locked: %w", ErrKeychainUnavailable)

	// ErrKeychainTimeout means the keychain did not answer in time (it may
	// be showing a prompt nobody sees).
	ErrKeychainTimeout = fmt.Errorf("the keychain did not answer in time: %w", ErrKeychainUnavailable)

	// ErrProviderUnreachable means the provider could not be reached or
	// answered with a transient failure (network error, 5xx, 429). Such
	// failures are retried; stored credentials are kept.
	ErrProviderUnreachable = errors.New("provider unreachable")

	// ErrMalformedAnswer means the provider answered with something that is
	// not an OAuth answer: unreadable JSON, an HTML page (a captive
	// portal's, a proxy's error page), a token response without a token.
	// It is treated as transient and matches [ErrProviderUnreachable] too.
	ErrMalformedAnswer = fmt.Errorf("the provider's answer could not be read: %w", ErrProviderUnreachable)

	// ErrClientRejected means the provider refused this client or its
	// request as configured (invalid_client, unauthorized_client,
	// invalid_scope, ...): trying again will not help, the configuration
	// must change. Credentials are kept.
	ErrClientRejected = errors.New("the provider refused this client")

	// ErrSignedOutElsewhere means another process using the same store
	// signed out. It matches [ErrSignInRequired] too.
	ErrSignedOutElsewhere = fmt.Errorf("signed out in another program: %w", ErrSignInRequired)

	// ErrInvalidIDToken means an ID token failed verification.
	ErrInvalidIDToken = errors.New("invalid ID token")

	// ErrInvalidCallback means the loopback redirect carried a wrong state,
	// no code, or was otherwise not the answer to this sign-in.
	ErrInvalidCallback = errors.New("invalid sign-in callback")

	// ErrNoLoopback means no listener could be opened on 127.0.0.1 for the
	// browser's answer to a sign-in; the device flow does not need one.
	ErrNoLoopback = errors.New("no loopback listener for the browser's answer")

	// ErrDiscovery means the provider's discovery document could not be
	// fetched or used; a [*DiscoveryError] says why.
	ErrDiscovery = errors.New("discovery failed")

	// ErrCorruptValue means a stored value could not be read back intact.
	ErrCorruptValue = errors.New("stored value is corrupt")
)

// ProviderError is an OAuth 2.0 error response (RFC 6749 section 5.2) from
// the provider, or the error parameters of an authorization redirect.
//
// Under [errors.Is] it matches [ErrSignInRequired] when it ends the
// session (see [ProviderError.EndsSession]), [ErrProviderUnreachable] when
// it is transient (5xx, 429, temporarily_unavailable) and
// [ErrClientRejected] when the client or request is refused as configured.
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
		return e.EndsSession()
	case ErrProviderUnreachable:
		return e.Transient()
	case ErrClientRejected:
		return e.rejectsClient()
	}
	return false
}

// Transient reports whether the provider said to try again later: the
// temporarily_unavailable code, 429, or a 5xx status.
func (e *ProviderError) Transient() bool {
	return e.Code == "temporarily_unavailable" || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// deadRefreshToken matches the descriptions with which providers that do
// not follow RFC 6749 here (Dex answers invalid_request) refuse a refresh
// token that is gone.
var deadRefreshToken = regexp.MustCompile(`(?i)refresh.?token.*(expired|revoked|invalid|not found|already|claimed|used|reuse)`)

// EndsSession reports whether the answer means the grant is gone, so that
// the person must sign in again: invalid_grant, or a 400 whose description
// says that the refresh token expired, was revoked, is invalid or was
// already used.
func (e *ProviderError) EndsSession() bool {
	if e.Code == "invalid_grant" {
		return true
	}
	return (e.Op == "renewal" || e.Op == opNamedToken) && e.StatusCode == http.StatusBadRequest && deadRefreshToken.MatchString(e.Description)
}

// rejectsClient reports whether the answer refuses the client or request
// as configured, so that trying again will not help.
func (e *ProviderError) rejectsClient() bool {
	if e.EndsSession() || e.Transient() {
		return false
	}
	switch e.Code {
	case "invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_request", "invalid_target":
		return true
	}
	return false
}

// EndReason says why the session ended, as far as the provider's words
// tell: [EndedReused], [EndedExpired], [EndedInactive], [EndedRevoked],
// or [EndedUnknown]. It is meaningful when [ProviderError.EndsSession].
func (e *ProviderError) EndReason() EndReason {
	d := strings.ToLower(e.Description)
	switch {
	case strings.Contains(d, "reuse"), strings.Contains(d, "already used"), strings.Contains(d, "already been used"),
		strings.Contains(d, "already been claimed"), strings.Contains(d, "replay"):
		return EndedReused
	case strings.Contains(d, "inactiv"), strings.Contains(d, "idle"):
		return EndedInactive
	case strings.Contains(d, "expired"):
		return EndedExpired
	case strings.Contains(d, "revoked"), strings.Contains(d, "signed out"), strings.Contains(d, "logged out"):
		return EndedRevoked
	}
	return EndedUnknown
}

// EndReason is why the provider ended a session.
type EndReason int

// The reasons a provider gives for ending a session.
const (
	// EndedUnknown: the provider did not say (invalid_grant alone).
	EndedUnknown EndReason = iota
	// EndedReused: a refresh token was used twice, and the provider
	// revoked the grant to be safe.
	EndedReused
	// EndedExpired: the session reached its lifetime at the provider.
	EndedExpired
	// EndedInactive: the session was unused for too long.
	EndedInactive
	// EndedRevoked: the session was revoked or signed out at the provider.
	EndedRevoked
)

// DiscoveryError says why an issuer's discovery document could not be
// used. It matches [ErrDiscovery], and [ErrProviderUnreachable] when the
// document could not be fetched.
type DiscoveryError struct {
	// Issuer is the issuer URL whose discovery failed.
	Issuer string
	// Problem says what was wrong, for example "has no token_endpoint".
	Problem string
	// Err is the cause, if any.
	Err error
}

// Error implements error.
func (e *DiscoveryError) Error() string {
	msg := "discovery of " + e.Issuer + ": " + e.Problem
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether the error matches [ErrDiscovery].
func (e *DiscoveryError) Is(target error) bool { return target == ErrDiscovery }

// Unwrap returns the cause.
func (e *DiscoveryError) Unwrap() error { return e.Err }

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
		if pe.Code == "" && !pe.Transient() {
			// An error status without an OAuth error: a portal's or a
			// proxy's page.
			return fmt.Errorf("%s: %w (%s)", op, ErrMalformedAnswer, http.StatusText(pe.StatusCode))
		}
		return pe
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrMalformedAnswer) {
		return fmt.Errorf("%s: %w", op, err)
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

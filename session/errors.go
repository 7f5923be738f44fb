package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

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
	// be used: it is missing, locked, or did not answer in time.
	ErrKeychainUnavailable = errors.New("keychain unavailable")

	// ErrProviderUnreachable means the provider could not be reached or
	// answered with a transient failure (network error, 5xx, 429). Such
	// failures are retried; stored credentials are kept.
	ErrProviderUnreachable = errors.New("provider unreachable")

	// ErrInvalidIDToken means an ID token failed verification.
	ErrInvalidIDToken = errors.New("invalid ID token")

	// ErrInvalidCallback means the loopback redirect carried a wrong state,
	// no code, or was otherwise not the answer to this sign-in.
	ErrInvalidCallback = errors.New("invalid sign-in callback")

	// ErrDiscovery means the provider's discovery document could not be
	// fetched or used; a [*DiscoveryError] says why.
	ErrDiscovery = errors.New("discovery failed")

	// ErrCorruptValue means a stored value could not be read back intact.
	ErrCorruptValue = errors.New("stored value is corrupt")
)

// ProviderError is an OAuth 2.0 error response (RFC 6749 section 5.2) from
// the provider, or the error parameters of an authorization redirect.
//
// It matches [ErrSignInRequired] under [errors.Is] when the code means the
// grant is gone (invalid_grant), and [ErrProviderUnreachable] when the
// status says the failure is transient (5xx, 429).
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

// Is reports whether the error matches [ErrSignInRequired] or
// [ErrProviderUnreachable].
func (e *ProviderError) Is(target error) bool {
	switch target {
	case ErrSignInRequired:
		return e.Code == "invalid_grant"
	case ErrProviderUnreachable:
		return e.Transient()
	}
	return false
}

// Transient reports whether the provider said to try again later: the
// temporarily_unavailable code, 429, or a 5xx status.
func (e *ProviderError) Transient() bool {
	return e.Code == "temporarily_unavailable" || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

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

// providerError turns an error from golang.org/x/oauth2 into this package's
// errors: a [*ProviderError] for an error response, [ErrProviderUnreachable]
// for a network failure. Cancellation is wrapped as it is.
func providerError(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		pe := &ProviderError{Op: op, Code: re.ErrorCode, Description: re.ErrorDescription}
		if re.Response != nil {
			pe.StatusCode = re.Response.StatusCode
		}
		return pe
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, ErrProviderUnreachable, err)
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

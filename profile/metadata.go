package profile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"latch/session"
)

// Scopes the signed-in user's token needs for the Management API.
const (
	ScopeReadCurrentUser           = "read:current_user"
	ScopeUpdateCurrentUserMetadata = "update:current_user_metadata"
)

// MaxMetadataBytes is the largest user_metadata, encoded as JSON, that
// Latch sends; the sandbox enforces the same limit.
const MaxMetadataBytes = 16 << 10

// ErrNoMetadataAPI means the provider offers no user metadata API (a
// generic OpenID provider); callers say so instead of failing.
var ErrNoMetadataAPI = errors.New("profile: this provider offers no metadata API")

// ErrInvalidKey means a metadata key name is not allowed: empty, or with
// "." or "$" in it.
var ErrInvalidKey = errors.New("profile: invalid metadata key")

// APIError is an error answer of the Management API, in Auth0's shape.
type APIError struct {
	StatusCode int    `json:"statusCode"`
	Err        string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode"`
}

// Error implements error.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("profile: metadata API answered %d", e.StatusCode)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// CheckKey reports whether name may be a user_metadata key, as Auth0's
// rules say: not empty, no "." and no "$".
func CheckKey(name string) error {
	if name == "" {
		return fmt.Errorf("%w: the name is empty", ErrInvalidKey)
	}
	if strings.ContainsAny(name, ".$") {
		return fmt.Errorf("%w: %q contains '.' or '$'", ErrInvalidKey, name)
	}
	return nil
}

// MetadataClient reads and changes the signed-in user's user_metadata
// through the Auth0 Management API shape (GET and PATCH
// /api/v2/users/{id}) with the user's own access token.
type MetadataClient struct {
	// BaseURL is the API's base, for example
	// "https://tenant.eu.auth0.com/api/v2/". Empty means the provider has
	// no metadata API.
	BaseURL string
	// HTTP makes the requests; nil means http.DefaultClient.
	HTTP *http.Client
}

func (c *MetadataClient) userURL(creds *session.Credentials) (string, error) {
	if c.BaseURL == "" {
		return "", ErrNoMetadataAPI
	}
	sub := creds.Subject()
	if sub == "" {
		return "", fmt.Errorf("profile: metadata: %w", ErrNoProfile)
	}
	return strings.TrimSuffix(c.BaseURL, "/") + "/users/" + url.PathEscape(sub), nil
}

func (c *MetadataClient) do(ctx context.Context, creds *session.Credentials, method, target string, body any) (map[string]any, error) {
	a, err := authorized(ctx, c.HTTP, creds, "metadata", method, target, body)
	if err != nil {
		return nil, err
	}
	if a.status/100 != 2 {
		apiErr := &APIError{}
		_ = json.Unmarshal(a.body, apiErr)
		apiErr.StatusCode = a.status
		return nil, apiErr
	}
	var user struct {
		Metadata map[string]any `json:"user_metadata"`
	}
	if err := json.Unmarshal(a.body, &user); err != nil {
		return nil, fmt.Errorf("profile: metadata: the answer is not JSON: %w", err)
	}
	if user.Metadata == nil {
		user.Metadata = map[string]any{}
	}
	return user.Metadata, nil
}

// Get returns the user's user_metadata.
func (c *MetadataClient) Get(ctx context.Context, creds *session.Credentials) (map[string]any, error) {
	target, err := c.userURL(creds)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, creds, http.MethodGet, target+"?fields=user_metadata&include_fields=true", nil)
}

// Patch changes root keys of user_metadata: each key of changes is set to
// its value, a nil value deletes the key, nested objects replace the old
// value whole. Key names are checked before anything is sent. It returns
// the metadata as stored afterwards.
func (c *MetadataClient) Patch(ctx context.Context, creds *session.Credentials, changes map[string]any) (map[string]any, error) {
	for k := range changes {
		if err := CheckKey(k); err != nil {
			return nil, err
		}
	}
	target, err := c.userURL(creds)
	if err != nil {
		return nil, err
	}
	if changes == nil {
		changes = map[string]any{}
	}
	return c.do(ctx, creds, http.MethodPatch, target, map[string]any{"user_metadata": changes})
}

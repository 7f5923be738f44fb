package profile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/latchapp/latch/base/secureurl"
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
var ErrNoMetadataAPI = errors.New("this provider offers no metadata API")

// ErrInvalidKey means a metadata key name is not allowed: empty, or with
// "." or "$" in it. A [*KeyError] says which.
var ErrInvalidKey = errors.New("invalid metadata key")

// KeyError is a metadata key name that Auth0's rules do not allow. It
// matches [ErrInvalidKey].
type KeyError struct {
	Key string
}

// Error implements error.
func (e *KeyError) Error() string {
	if e.Key == "" {
		return "a metadata key name is empty"
	}
	return "metadata key " + strconv.Quote(e.Key) + " contains '.' or '$'"
}

// Is reports whether target is [ErrInvalidKey].
func (e *KeyError) Is(target error) bool { return target == ErrInvalidKey }

// APIError is an error answer of the userinfo endpoint or of the
// Management API (then in Auth0's shape, with a message).
type APIError struct {
	// API names the API: "userinfo endpoint" or "metadata API".
	API        string `json:"-"`
	StatusCode int    `json:"statusCode"`
	Err        string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode"`
}

// Error implements error.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s answered %d %s", e.API, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// CheckKey reports whether name may be a user_metadata key, as Auth0's
// rules say: not empty, no "." and no "$". The error is a [*KeyError].
func CheckKey(name string) error {
	if name == "" || strings.ContainsAny(name, ".$") {
		return &KeyError{Key: name}
	}
	return nil
}

// CheckValue reports whether v may be a user_metadata value: the keys of
// its objects, at every depth, follow [CheckKey], as Auth0 requires of
// the whole document. The error is a [*KeyError].
func CheckValue(v any) error {
	switch v := v.(type) {
	case map[string]any:
		for k, inner := range v {
			if err := CheckKey(k); err != nil {
				return err
			}
			if err := CheckValue(inner); err != nil {
				return err
			}
		}
	case []any:
		for _, inner := range v {
			if err := CheckValue(inner); err != nil {
				return err
			}
		}
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
	// HTTP makes the requests and authorizes them: a session Manager's
	// Client, or any oauth2 client. Required.
	HTTP *http.Client
}

func (c *MetadataClient) userURL(userID string) (string, error) {
	if c.BaseURL == "" {
		return "", ErrNoMetadataAPI
	}
	if !secureurl.Secure(c.BaseURL) {
		return "", fmt.Errorf("metadata: the address %q is not https, and the access token is not sent in clear", c.BaseURL)
	}
	if userID == "" {
		return "", errors.New("metadata: no user ID given")
	}
	return strings.TrimSuffix(c.BaseURL, "/") + "/users/" + url.PathEscape(userID), nil
}

func (c *MetadataClient) do(ctx context.Context, method, target string, body any) (map[string]any, error) {
	a, err := send(ctx, c.HTTP, "metadata", method, target, body)
	if err != nil {
		return nil, err
	}
	if a.status/100 != 2 {
		apiErr := &APIError{}
		_ = json.Unmarshal(a.body, apiErr)
		apiErr.API, apiErr.StatusCode = "metadata API", a.status
		return nil, apiErr
	}
	var user struct {
		Metadata map[string]any `json:"user_metadata"`
	}
	if err := json.Unmarshal(a.body, &user); err != nil {
		return nil, fmt.Errorf("metadata: the answer is not JSON: %w", err)
	}
	if user.Metadata == nil {
		user.Metadata = map[string]any{}
	}
	return user.Metadata, nil
}

// Get returns the user_metadata of userID (the ID token's sub).
func (c *MetadataClient) Get(ctx context.Context, userID string) (map[string]any, error) {
	target, err := c.userURL(userID)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, http.MethodGet, target+"?fields=user_metadata&include_fields=true", nil)
}

// Patch changes root keys of userID's user_metadata: each key of changes
// is set to its value, a nil value deletes the key, nested objects replace
// the old value whole. Key names, at every depth, are checked before
// anything is sent. It returns the metadata as stored afterwards.
func (c *MetadataClient) Patch(ctx context.Context, userID string, changes map[string]any) (map[string]any, error) {
	if err := CheckValue(map[string]any(changes)); err != nil {
		return nil, err
	}
	target, err := c.userURL(userID)
	if err != nil {
		return nil, err
	}
	if changes == nil {
		changes = map[string]any{}
	}
	return c.do(ctx, http.MethodPatch, target, map[string]any{"user_metadata": changes})
}

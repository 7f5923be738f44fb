package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/session"
	"github.com/latchapp/latch/session/keychain"
)

// Operations a request names.
const (
	opToken    = "token"
	opHeader   = "header"
	opForget   = "forget"
	opReport   = "report"
	opTokens   = "tokens"
	opMetadata = "metadata"
	opStatus   = "status"
	opStop     = "stop"
	opLog      = "log"
)

// maxRequest bounds a request's size: a configuration and a few names.
const maxRequest = 1 << 20

// request is what a client asks, one a connection.
type request struct {
	Op string `json:"op"`
	// Version is the client's (see [latchapp.Version]).
	Version string `json:"version"`
	// Config is the account's configuration as the client resolved it
	// (flags, environment and config file): the agent holds a session for
	// each configuration it is asked about.
	Config *latchapp.Config `json:"config,omitempty"`
	// Token says which token, for opToken.
	Token latchapp.TokenRequest `json:"token,omitzero"`
	// Name, Method and URL are opHeader's: the named token (empty for the
	// session's own) and the request to authorize.
	Name   string `json:"name,omitempty"`
	Method string `json:"method,omitempty"`
	URL    string `json:"url,omitempty"`
	// Changes are opMetadata's: none reads the user_metadata.
	Changes map[string]any `json:"changes,omitempty"`
}

// response is one line of an answer: a note, or the answer itself.
type response struct {
	// Asking is a note: the keychain this keeper names is asking the
	// person (see [keychain.Store.Asking]); the answer follows.
	Asking string `json:"asking,omitempty"`
	// Confirming is a note: the token waits for the person to allow it
	// in the desktop app.
	Confirming bool `json:"confirming,omitempty"`

	// Version is the agent's, and App says the agent is the desktop app.
	Version string `json:"version,omitempty"`
	App     bool   `json:"app,omitempty"`
	// StepAside says the agent is of another version and leaves: the
	// client starts its own and asks again.
	StepAside bool `json:"step_aside,omitempty"`

	Error  *wireError      `json:"error,omitempty"`
	Token  *latchapp.Token `json:"token,omitempty"`
	Header http.Header     `json:"header,omitempty"`
	Status *Status         `json:"status,omitempty"`
	// Report and SignedIn answer opReport; Tokens opTokens; Metadata
	// opMetadata.
	Report   *latchapp.SessionReport `json:"report,omitempty"`
	SignedIn bool                    `json:"signed_in,omitempty"`
	Tokens   []session.TokenInfo     `json:"tokens,omitempty"`
	Metadata map[string]any          `json:"metadata,omitempty"`
	// Uses answers opLog.
	Uses []Use `json:"uses,omitempty"`
}

// decode reads one JSON value from b into v, numbers as they are written
// (json.Number): a metadata value crosses the socket unchanged.
func decode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// wireError is a failure as it crosses the socket: what the person is
// told, and what a caller branches on.
type wireError struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// The codes of a wireError, each for one error callers branch on; other
// failures have codeOther.
var errorCodes = []struct {
	code string
	err  error
}{
	{"no_credentials", session.ErrNoCredentials},
	{"sign_in_required", session.ErrSignInRequired},
	{"corrupt_value", session.ErrCorruptValue},
	{"not_granted", session.ErrNotGranted},
	{"provider_unreachable", session.ErrProviderUnreachable},
	{"keychain_unavailable", session.ErrKeychainUnavailable},
	{"keychain_locked", keychain.ErrLocked},
	{"needs_app", latchapp.ErrNeedsApp},
	{"denied", latchapp.ErrDenied},
	{"unknown_op", errUnknownOp},
}

const (
	codeConfig = "config"
	codeOther  = "other"
)

// errUnknownOp is an agent's answer to an operation it does not speak.
var errUnknownOp = errors.New("the agent does not know this request")

// toWire words err for the person and codes it for the caller.
func toWire(err error) *wireError {
	w := &wireError{Code: codeOther, Text: latchapp.Describe(err)}
	var ce *latchapp.ConfigError
	if errors.As(err, &ce) {
		w.Code = codeConfig
		return w
	}
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			w.Code = c.code
			break
		}
	}
	return w
}

// fromWire is the error w stands for: a [*latchapp.ConfigError], or a
// [*latchapp.DescribedError] that matches the error its code names.
func fromWire(w *wireError) error {
	if w.Code == codeConfig {
		return &latchapp.ConfigError{Msg: w.Text}
	}
	e := &latchapp.DescribedError{Text: w.Text}
	for _, c := range errorCodes {
		if c.code == w.Code {
			e.Kind = c.err
		}
	}
	return e
}

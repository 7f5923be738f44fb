package session

import "time"

// State is where a session stands.
type State int

// The states a Manager publishes.
const (
	// StateUnknown is the state before the store has been read.
	StateUnknown State = iota
	// StateSignedOut: no credentials are held.
	StateSignedOut
	// StateSignedIn: credentials are held and can be used or renewed.
	StateSignedIn
	// StateRenewing: a renewal is under way; the current access token, if
	// still valid, can be used meanwhile.
	StateRenewing
	// StateOffline: the last renewal failed for a transient reason and is
	// being retried with backoff. [Event.Err] says why.
	StateOffline
	// StateEnded: the session ended without the person signing out (the
	// provider rejected the refresh token, or the credentials expired and
	// cannot be renewed). [Event.Err] says why.
	StateEnded
)

// String returns the state's name in lower case, as shown to people.
func (s State) String() string {
	switch s {
	case StateSignedOut:
		return "signed out"
	case StateSignedIn:
		return "signed in"
	case StateRenewing:
		return "renewing"
	case StateOffline:
		return "offline"
	case StateEnded:
		return "ended"
	}
	return "unknown"
}

// Event is one change of a session's state, with what a session panel
// shows. It holds no token.
type Event struct {
	State State
	// Err is the error behind the change: set for [StateEnded] (it then
	// matches [ErrSignInRequired]) and [StateOffline], and for a failed
	// renewal that left the state as it was.
	Err error
	// Subject is the sub claim of the signed-in person, when known.
	Subject string
	// Expiry is when the current access token ends, when known.
	Expiry time.Time
	// LastRenewal is when the credentials were last obtained.
	LastRenewal time.Time
	// RefreshToken reports whether a refresh token is held.
	RefreshToken bool
	// RefreshExpiry is when the refresh token ends, when the provider says.
	RefreshExpiry time.Time
	// At is when the change happened.
	At time.Time
}

package keychain

import (
	"errors"
	"fmt"
	"strings"

	"github.com/latchapp/latch/base/secretservice"
	"github.com/latchapp/latch/session"
)

// AskingError means that the keychain was asking the person (for its
// password, or whether this program may use its item) when the caller
// stopped waiting: nothing was read or written. Once they have answered,
// the next call goes through. It matches
// [session.ErrKeychainUnavailable].
type AskingError struct {
	// Keeper is the keychain's name as a person knows it ("KeePassXC",
	// "GNOME Keyring"), or "" when it cannot tell.
	Keeper string
}

func (e *AskingError) Error() string {
	keeper := e.Keeper
	if keeper == "" {
		keeper = "the keychain"
	}
	return keeper + " is asking the person to allow this program or unlock it, and has no answer yet"
}

// Unwrap makes the error match [session.ErrKeychainUnavailable].
func (e *AskingError) Unwrap() error { return session.ErrKeychainUnavailable }

// Errors of the keychain, beside [session.ErrKeychainUnavailable], which
// each matches too.
var (
	// ErrMissing means there is no keychain service to ask (on Linux: no
	// D-Bus session, or no Secret Service such as gnome-keyring on it).
	ErrMissing = fmt.Errorf("no keychain service is running: %w", session.ErrKeychainUnavailable)

	// ErrNoBus means the session bus that DBUS_SESSION_BUS_ADDRESS names
	// cannot be reached (no socket there, or nobody listening): the
	// keychain service is not the problem. It matches [ErrMissing] too.
	ErrNoBus = fmt.Errorf("the D-Bus session bus cannot be reached: %w", ErrMissing)

	// ErrLocked means the keychain is locked and was not unlocked.
	ErrLocked = fmt.Errorf("the keychain is locked: %w", session.ErrKeychainUnavailable)

	// ErrTimeout means the keychain did not answer in time (it may be
	// showing a prompt nobody sees).
	ErrTimeout = fmt.Errorf("the keychain did not answer in time: %w", session.ErrKeychainUnavailable)
)

// classifyKeychainError says which kind of [session.ErrKeychainUnavailable] a
// backend's error is, from what the platforms' keychains say.
func classifyKeychainError(err error) error {
	if errors.Is(err, secretservice.ErrDismissed) {
		return ErrLocked
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "dial unix"), strings.Contains(msg, "connect: connection refused"):
		return ErrNoBus
	case strings.Contains(msg, "was not provided by any .service files"),
		strings.Contains(msg, "dbus-launch"),
		strings.Contains(msg, "dbus_session_bus_address"),
		strings.Contains(msg, "no such file or directory") && strings.Contains(msg, "bus"):
		return ErrMissing
	case strings.Contains(msg, "unlock"), strings.Contains(msg, "locked"),
		strings.Contains(msg, "prompt"), strings.Contains(msg, "dismissed"),
		strings.Contains(msg, "user interaction is not allowed"):
		return ErrLocked
	}
	return session.ErrKeychainUnavailable
}

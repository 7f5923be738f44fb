// Package sandboxclient is what a program needs to use Latch's built-in
// sandbox provider without running it: its address and client, the check
// that the sandbox answering at an address is the person's own, and
// [Program], which starts the sandbox as the separate program
// latch-sandbox. It links nothing of the provider itself, so that the
// command line, which scripts and kubectl run on every request, stays
// small and starts fast; the provider is the sandboxserver package, run by
// sandboxhost in latch-sandbox and the desktop app, which start it in their own process
// ([Starter]).
package sandboxclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// ClientID is the sandbox's one client: Latch itself, a native public
// client with a loopback redirect on any port.
const ClientID = "latch-desktop"

// DefaultAddr is where the sandbox listens unless told otherwise: a fixed
// loopback address, so that its issuer, and the sessions it issued, stay
// the same across runs.
const DefaultAddr = "127.0.0.1:8642"

// DefaultAccessTokenTTL is the access tokens' lifetime: short, so that
// renewal is visible.
const DefaultAccessTokenTTL = 2 * time.Minute

// ErrAddrTaken means something other than a Latch sandbox listens on the
// address.
var ErrAddrTaken = errors.New("sandbox: address taken by another program")

// ErrCorruptState means the state file exists but cannot be used. The
// sandbox never replaces it silently: the person moves it aside.
var ErrCorruptState = errors.New("sandbox: state file is corrupt")

// DefaultStateFile is where the sandbox keeps its state by default.
func DefaultStateFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("sandbox: no config directory: %w", err)
	}
	return filepath.Join(dir, "latch", "sandbox.json"), nil
}

// IdentityPath is where a sandbox answers "is this a Latch sandbox?",
// with an [Identity].
const IdentityPath = "/.well-known/latch-sandbox"

// Identity is a sandbox's answer at [IdentityPath].
type Identity struct {
	Sandbox     string `json:"latch_sandbox"`
	Issuer      string `json:"issuer"`
	ClientID    string `json:"client_id"`
	MetadataAPI string `json:"metadata_api"`
	// Proof answers the request's challenge (see [Running]).
	Proof string `json:"proof,omitempty"`
}

// Options say how to run a sandbox.
type Options struct {
	// Addr is the loopback host:port to listen on; empty means
	// [DefaultAddr], port 0 a free port.
	Addr string
	// Issuer, when set, is the issuer the sandbox presents, for when it
	// is reached through a proxy that keeps the Host header.
	Issuer string
	// StateFile keeps the sandbox's state; empty means
	// [DefaultStateFile].
	StateFile string
	// AccessTokenTTL is the access tokens' lifetime; 0 means
	// [DefaultAccessTokenTTL].
	AccessTokenTTL time.Duration
	// ReuseInterval is how long a rotated refresh token may still be
	// spent again; 0 detects any reuse.
	ReuseInterval time.Duration
	// Logger receives the sandbox's diagnostics; nil discards them.
	Logger *slog.Logger
	// Program is the path of latch-sandbox, for [Program]; empty means
	// beside this program's executable, else on the PATH.
	Program string
}

// Instance is a sandbox that runs.
type Instance interface {
	// Issuer is its issuer URL.
	Issuer() string
	// MetadataAPI is the base URL of its Management API.
	MetadataAPI() string
	// Close stops it.
	Close() error
}

// Starter starts a sandbox and returns once it serves; it serves until
// Close or until ctx ends. When the address is taken by a Latch sandbox
// its error wraps os.ErrExist (use [Running] to find it first); when
// something else has it, [ErrAddrTaken]; a state file that cannot be used
// is [ErrCorruptState].
type Starter func(ctx context.Context, o Options) (Instance, error)

// Start starts a sandbox with s, or with [Program] when s is nil.
func (s Starter) Start(ctx context.Context, o Options) (Instance, error) {
	if s == nil {
		return Program(ctx, o)
	}
	return s(ctx, o)
}

// RunningHint is what latch sandbox and latch-sandbox tell a person once
// the sandbox serves.
const RunningHint = "Sandbox running; demo accounts: demo/demo, ada/lovelace. Stop it with Ctrl-C."

// PrintFields prints where s is, on the lines that latch sandbox and
// latch-sandbox print for other programs, and that [Program] reads.
func PrintFields(w io.Writer, s Instance) {
	fmt.Fprintf(w, "issuer: %s\nclient_id: %s\nmetadata_api: %s\n", s.Issuer(), ClientID, s.MetadataAPI())
}

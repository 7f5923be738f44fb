// Package keychain keeps a session's credentials in the operating
// system's keychain: Keychain on macOS, Credential Manager on Windows, the
// Secret Service (gnome-keyring, KWallet) elsewhere, through
// github.com/zalando/go-keyring. Its [Store] is a [session.Store]:
//
//	m, err := session.New(session.Config{
//		Issuer:   "https://id.example.com/",
//		ClientID: "my-native-client",
//		Store:    keychain.New("my-app"),
//	})
//
// Values of any size are kept under the strictest platform limit by
// chunking, with a manifest written last, so that a write cut short never
// loses the value before it. Every call has a timeout: a locked keychain
// that shows a prompt nobody answers fails with [ErrTimeout] instead of
// freezing the program. Its errors match [session.ErrKeychainUnavailable],
// and [ErrMissing], [ErrLocked] or [ErrTimeout] say which kind.
//
// It is the only package of Latch's library that talks to the platform's
// secret storage (on Linux, D-Bus).
package keychain

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/zalando/go-keyring"

	"github.com/latchapp/latch/session"
)

// maxChunk is the largest string written in one keychain item. It keeps
// every item under the strictest platform limit (Windows credentials hold
// at most 2560 bytes; macOS's security tool takes about 3000 once the
// value is base64-encoded), whatever the size of the value stored.
const maxChunk = 1800

// defaultTimeout bounds every single keychain call unless
// [Store.Timeout] says otherwise.
const defaultTimeout = 10 * time.Second

// Store is a [session.Store] in the operating system's keychain.
//
// A value that fits in one item (at most 1800 characters once written)
// is written whole in the item of its key, in one write, and is read in
// one read. A larger value is written as chunks of at most 1800
// characters and a manifest that names them, written last. Chunks
// alternate between two slots, so a write that is cut short (a crash, a
// full keychain, a timeout) leaves the previous manifest and its chunks
// intact: Get then returns the previous value. Chunks of the slot not in
// use are removed on the next write.
//
// Reads never fail because another process is rewriting the value: a
// reader that meets a chunk that is gone or does not match reads the
// manifest again and follows it. Writers of one Store are serialised;
// writers in several processes are serialised by the [session.Manager]'s
// cross-process lock.
type Store struct {
	// Service names the application in the keychain, for example
	// "my-app".
	Service string
	// Backend is the secret storage; nil means the platform's keychain.
	Backend Backend
	// Timeout bounds each keychain call; 0 means 10 seconds. While the
	// keychain asks the person (for its password, or whether this
	// program may use its item), a call waits for their answer as long
	// as its context allows instead.
	Timeout time.Duration
	// Asking, when set, is called when the keychain starts asking the
	// person, with the keychain's name as they know it ("KeePassXC",
	// "GNOME Keyring"; "" when it cannot tell), so that the program can
	// say what to answer. It runs on the calling goroutine.
	Asking func(keeper string)

	writing sync.Mutex // one Set or Delete at a time
	probe   probeCache
}

// New returns a Store for service on the platform's keychain.
func New(service string) *Store {
	return &Store{Service: service}
}

// manifest describes a stored value. It holds no secret.
type manifest struct {
	Version int    `json:"v"`
	Slot    string `json:"slot"`
	Chunks  int    `json:"n"`
	Sum     string `json:"sha256"`
	// Write is random for each write, so that a reader can tell any two
	// writes apart, even of the same value.
	Write string `json:"w,omitempty"`
}

func chunkKey(key, slot string, i int) string {
	return key + "." + slot + "." + strconv.Itoa(i)
}

func otherSlot(slot string) string {
	if slot == "a" {
		return "b"
	}
	return "a"
}

// readAttempts bounds how often Get follows a value that is being
// rewritten while it reads.
const readAttempts = 6

// Get implements [session.Store]. A value being replaced by another process at the
// same moment is read again, so that a reader sees either the old or the
// new value, never a mix and never an error.
func (k *Store) Get(ctx context.Context, key string) ([]byte, error) {
	var err error
	for attempt := range readAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("keychain read %q: %w", key, ctx.Err())
			case <-time.After(time.Duration(attempt) * 5 * time.Millisecond):
			}
		}
		var value []byte
		var read *manifest
		value, read, err = k.get(ctx, key)
		if err == nil || !k.rewritten(ctx, key, read, err) {
			return value, err
		}
	}
	return nil, err
}

// rewritten reports whether a read that failed with err, after reading the
// manifest read (nil: the manifest itself failed), met a value that was
// being rewritten, so that reading again will succeed.
func (k *Store) rewritten(ctx context.Context, key string, read *manifest, err error) bool {
	switch {
	case errors.Is(err, session.ErrCorruptValue):
		return true
	case !errors.Is(err, session.ErrKeychainUnavailable), errors.Is(err, ErrTimeout), errors.Is(err, ErrMissing), errors.Is(err, ErrLocked), errors.As(err, new(*AskingError)):
		return false
	case read == nil:
		// The manifest was being replaced as it was read.
		return true
	}
	now, merr := k.manifest(ctx, key)
	return merr == nil && *now != *read
}

func (k *Store) get(ctx context.Context, key string) ([]byte, *manifest, error) {
	m, value, err := k.head(ctx, key)
	if err != nil || value != nil {
		return value, m, err
	}
	var encoded []byte
	for i := range m.Chunks {
		part, err := k.call(ctx, "read", key, func(b Backend) (string, error) {
			return b.Get(k.Service, chunkKey(key, m.Slot, i))
		})
		if errors.Is(err, session.ErrNotFound) {
			return nil, m, fmt.Errorf("%w: %q: chunk %d of %d is missing", session.ErrCorruptValue, key, i+1, m.Chunks)
		}
		if err != nil {
			return nil, m, err
		}
		encoded = append(encoded, part...)
	}
	value, err = base64.StdEncoding.DecodeString(string(encoded))
	if err != nil {
		return nil, m, fmt.Errorf("%w: %q: chunks do not decode", session.ErrCorruptValue, key)
	}
	sum := sha256.Sum256(value)
	if hex.EncodeToString(sum[:]) != m.Sum {
		return nil, m, fmt.Errorf("%w: %q: checksum mismatch", session.ErrCorruptValue, key)
	}
	return value, m, nil
}

// Set implements [session.Store].
func (k *Store) Set(ctx context.Context, key string, value []byte) error {
	k.writing.Lock()
	defer k.writing.Unlock()
	old, _, err := k.head(ctx, key)
	if err != nil && !errors.Is(err, session.ErrNotFound) && !errors.Is(err, session.ErrCorruptValue) {
		return err
	}
	if item, ok := inlineItem(value); ok {
		// One write replaces the value whole; the chunks of a larger
		// value before it, if any, are stale after it.
		if _, err := k.call(ctx, "write", key, func(b Backend) (string, error) {
			return "", b.Set(k.Service, key, item)
		}); err != nil {
			return err
		}
		if old == nil || old.Slot != "" {
			// Chunks of the value before, and of a write of one that
			// was cut short.
			for _, slot := range []string{"a", "b"} {
				if err := k.deleteSlot(ctx, key, slot); err != nil {
					return err
				}
			}
		}
		return nil
	}
	slot := "a"
	if old != nil && old.Slot != "" {
		slot = otherSlot(old.Slot)
	}
	// Leftovers of an earlier write that was cut short.
	if err := k.deleteSlot(ctx, key, slot); err != nil {
		return err
	}
	encoded := base64.StdEncoding.EncodeToString(value)
	n := 0
	for start := 0; start < len(encoded) || n == 0; start += maxChunk {
		part := encoded[start:min(start+maxChunk, len(encoded))]
		i := n
		if _, err := k.call(ctx, "write", key, func(b Backend) (string, error) {
			return "", b.Set(k.Service, chunkKey(key, slot, i), part)
		}); err != nil {
			return err
		}
		n++
	}
	sum := sha256.Sum256(value)
	m, err := json.Marshal(manifest{Version: 1, Slot: slot, Chunks: n, Sum: hex.EncodeToString(sum[:]), Write: writeID()})
	if err != nil {
		return fmt.Errorf("keychain write %q: %w", key, err)
	}
	if _, err := k.call(ctx, "write", key, func(b Backend) (string, error) {
		return "", b.Set(k.Service, key, string(m))
	}); err != nil {
		return err
	}
	// The new value is in place; the old chunks are now stale.
	return k.deleteSlot(ctx, key, otherSlot(slot))
}

// The forms of a value written whole in its key's item: text as it is
// (valid UTF-8 without control characters but tab and newline, as JSON
// is), anything else base64-encoded. A manifest is a JSON object, so
// these prefixes never begin one.
const (
	inlineText   = "t:"
	inlineBase64 = "b:"
)

// inlineItem is value written whole in one item, when it fits.
func inlineItem(value []byte) (string, bool) {
	item := inlineText + string(value)
	if !plainText(value) {
		item = inlineBase64 + base64.StdEncoding.EncodeToString(value)
	}
	return item, len(item) <= maxChunk
}

func plainText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' {
			return false
		}
	}
	return true
}

// Delete implements [session.Store]. It removes the manifest first, so that a delete
// cut short never leaves a readable half of a value.
func (k *Store) Delete(ctx context.Context, key string) error {
	k.writing.Lock()
	defer k.writing.Unlock()
	_, err := k.call(ctx, "delete", key, func(b Backend) (string, error) {
		return "", b.Delete(k.Service, key)
	})
	if err != nil && !errors.Is(err, session.ErrNotFound) {
		return err
	}
	for _, slot := range []string{"a", "b"} {
		if err := k.deleteSlot(ctx, key, slot); err != nil {
			return err
		}
	}
	return err
}

// head reads the item of key: a value written whole (returned, with a
// manifest that only tells this write from others), or the manifest of a
// chunked value (value nil).
func (k *Store) head(ctx context.Context, key string) (*manifest, []byte, error) {
	raw, err := k.call(ctx, "read", key, func(b Backend) (string, error) {
		return b.Get(k.Service, key)
	})
	if err != nil {
		return nil, nil, err
	}
	if text, ok := strings.CutPrefix(raw, inlineText); ok {
		return inlineManifest(raw), []byte(text), nil
	}
	if encoded, ok := strings.CutPrefix(raw, inlineBase64); ok {
		value, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %q: the value does not decode", session.ErrCorruptValue, key)
		}
		return inlineManifest(raw), value, nil
	}
	var m manifest
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m.Version != 1 || (m.Slot != "a" && m.Slot != "b") || m.Chunks < 1 {
		return nil, nil, fmt.Errorf("%w: %q: unreadable manifest", session.ErrCorruptValue, key)
	}
	return &m, nil, nil
}

// inlineManifest stands for a value written whole: no slot, no chunks,
// and the hash of the item, so that two writes compare unequal.
func inlineManifest(raw string) *manifest {
	sum := sha256.Sum256([]byte(raw))
	return &manifest{Version: 2, Sum: hex.EncodeToString(sum[:])}
}

// manifest is what head says of key, without the value.
func (k *Store) manifest(ctx context.Context, key string) (*manifest, error) {
	m, _, err := k.head(ctx, key)
	return m, err
}

// deleteSlot removes the chunks of one slot. Chunks are written from 0 up,
// so the first missing index ends them.
func (k *Store) deleteSlot(ctx context.Context, key, slot string) error {
	for i := 0; ; i++ {
		_, err := k.call(ctx, "delete", key, func(b Backend) (string, error) {
			return "", b.Delete(k.Service, chunkKey(key, slot, i))
		})
		if errors.Is(err, session.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// call runs one backend call with the timeout, and maps its errors onto
// [session.ErrNotFound] and the kinds of [session.ErrKeychainUnavailable]. When the call
// runs longer than a keychain that is there takes (probeAfter), the
// platform is asked whether a keychain service exists at all, so that a
// missing one fails at once instead of after the timeout. A call
// that times out is left to finish on its own goroutine; its result is
// dropped.
func (k *Store) call(ctx context.Context, op, key string, f func(Backend) (string, error)) (string, error) {
	backend := k.Backend
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	var missing <-chan error
	var asked chan string
	if backend == nil {
		asked = make(chan string, 1)
		backend = newSystem(ctx, timeout, func(keeper string) {
			select {
			case asked <- keeper:
			default:
			}
		})
		var stop func()
		missing, stop = k.probe.check()
		defer stop()
	}
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := f(backend)
		done <- result{s, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var asking *AskingError
	for {
		select {
		case r := <-done:
			if r.err == nil {
				return r.s, nil
			}
			if errors.Is(r.err, keyring.ErrNotFound) || errors.Is(r.err, session.ErrNotFound) {
				return "", session.ErrNotFound
			}
			if errors.Is(r.err, keyring.ErrSetDataTooBig) {
				return "", fmt.Errorf("keychain %s %q: item too large for this keychain: %w", op, key, r.err)
			}
			if asking != nil && errors.Is(r.err, ctx.Err()) {
				return "", fmt.Errorf("keychain %s %q: %w", op, key, asking)
			}
			return "", fmt.Errorf("keychain %s %q: %w: %w", op, key, classifyKeychainError(r.err), r.err)
		case keeper := <-asked:
			// A person decides now: their answer is waited for as long
			// as ctx allows.
			timer.Stop()
			if asking == nil && k.Asking != nil {
				k.Asking(keeper)
			}
			asking = &AskingError{Keeper: keeper}
		case err := <-missing:
			return "", fmt.Errorf("keychain %s %q: %w", op, key, err)
		case <-timer.C:
			return "", fmt.Errorf("keychain %s %q: %w (%s)", op, key, ErrTimeout, timeout)
		case <-ctx.Done():
			if asking != nil {
				return "", fmt.Errorf("keychain %s %q: %w", op, key, asking)
			}
			return "", fmt.Errorf("keychain %s %q: %w", op, key, ctx.Err())
		}
	}
}

// writeID tells one write of a manifest from every other.
func writeID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

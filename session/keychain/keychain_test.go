package keychain

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/latchapp/latch/internal/testing/peers"
	"github.com/latchapp/latch/session"
)

// memBackend is a Backend in memory that behaves as go-keyring does.
type memBackend struct {
	mu    sync.Mutex
	items map[string]string
}

func (b *memBackend) Get(service, user string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.items[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (b *memBackend) Set(service, user, secret string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.items == nil {
		b.items = map[string]string{}
	}
	b.items[service+"/"+user] = secret
	return nil
}

func (b *memBackend) Delete(service, user string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.items[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(b.items, service+"/"+user)
	return nil
}

// faultyBackend wraps a backend: it records the size of every write and
// fails the write numbered failAt (1-based; 0 never), or blocks forever.
type faultyBackend struct {
	Backend
	mu      sync.Mutex
	writes  int
	failAt  int
	block   bool
	largest int
}

func (b *faultyBackend) Set(service, user, secret string) error {
	b.mu.Lock()
	b.writes++
	n := b.writes
	b.largest = max(b.largest, len(secret))
	block := b.block
	b.mu.Unlock()
	if block {
		select {}
	}
	if n == b.failAt {
		return errors.New("simulated crash in the middle of a write")
	}
	return b.Backend.Set(service, user, secret)
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// realKeychain returns the backend of the real keychain, after checking it
// works. A missing Secret Service skips the test, or fails it under
// scripts/test (see package peers).
func realKeychain(t *testing.T) Backend {
	t.Helper()
	probe := New(testService(t))
	probe.Timeout = 20 * time.Second
	err := probe.Set(context.Background(), "probe", []byte("probe"))
	if err == nil {
		err = probe.Delete(context.Background(), "probe")
	}
	if err != nil {
		peers.Missing(t, "the Secret Service", err.Error())
	}
	return newSystem(context.Background(), defaultTimeout, nil)
}

func testService(t *testing.T) string {
	return fmt.Sprintf("latch-test-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
}

func testKeychainStores(t *testing.T) map[string]func(t *testing.T) (*Store, *faultyBackend) {
	return map[string]func(t *testing.T) (*Store, *faultyBackend){
		"memory": func(t *testing.T) (*Store, *faultyBackend) {
			fb := &faultyBackend{Backend: &memBackend{}}
			return &Store{Service: "latch-test", Backend: fb}, fb
		},
		"real": func(t *testing.T) (*Store, *faultyBackend) {
			fb := &faultyBackend{Backend: realKeychain(t)}
			k := &Store{Service: testService(t), Backend: fb}
			t.Cleanup(func() { _ = k.Delete(context.Background(), "creds") })
			return k, fb
		},
	}
}

func TestKeychainChunkedRoundTrip(t *testing.T) {
	for name, open := range testKeychainStores(t) {
		t.Run(name, func(t *testing.T) {
			k, fb := open(t)
			ctx := context.Background()
			big := randomBytes(t, 12000)
			if err := k.Set(ctx, "creds", big); err != nil {
				t.Fatal(err)
			}
			got, err := k.Get(ctx, "creds")
			if err != nil || !bytes.Equal(got, big) {
				t.Fatalf("round trip gave %v, want the value back", err)
			}
			if fb.largest > maxChunk || maxChunk >= 2560 {
				t.Fatalf("an item of %d bytes was written, want at most %d", fb.largest, maxChunk)
			}
			if fb.writes < 10 {
				t.Fatalf("12000 bytes in %d writes, want 10 or more chunks", fb.writes)
			}
			small := []byte(`{"access_token":"x"}`)
			if err := k.Set(ctx, "creds", small); err != nil {
				t.Fatal(err)
			}
			if got, _ := k.Get(ctx, "creds"); !bytes.Equal(got, small) {
				t.Fatal("overwrite with a small value")
			}
			// The big value's chunks are gone.
			for i := range 10 {
				if _, err := k.Backend.Get(k.Service, chunkKey("creds", "a", i)); !errors.Is(err, keyring.ErrNotFound) {
					t.Fatalf("stale chunk a.%d left behind (%v), want it removed", i, err)
				}
			}
			if err := k.Delete(ctx, "creds"); err != nil {
				t.Fatal(err)
			}
			if _, err := k.Get(ctx, "creds"); !errors.Is(err, session.ErrNotFound) {
				t.Fatalf("after delete Get gave %v, want session.ErrNotFound", err)
			}
			for _, slot := range []string{"a", "b"} {
				if _, err := k.Backend.Get(k.Service, chunkKey("creds", slot, 0)); !errors.Is(err, keyring.ErrNotFound) {
					t.Fatalf("chunk %s.0 left after delete, want it removed", slot)
				}
			}
		})
	}
}

func TestKeychainSurvivesTornWrite(t *testing.T) {
	for name, open := range testKeychainStores(t) {
		t.Run(name, func(t *testing.T) {
			k, fb := open(t)
			ctx := context.Background()
			before := randomBytes(t, 6000)
			if err := k.Set(ctx, "creds", before); err != nil {
				t.Fatal(err)
			}
			// The next write dies after two of its chunks.
			fb.mu.Lock()
			fb.failAt = fb.writes + 3
			fb.mu.Unlock()
			if err := k.Set(ctx, "creds", randomBytes(t, 7000)); !errors.Is(err, session.ErrKeychainUnavailable) {
				t.Fatalf("a torn write gave %v, want session.ErrKeychainUnavailable", err)
			}
			got, err := k.Get(ctx, "creds")
			if err != nil || !bytes.Equal(got, before) {
				t.Fatalf("after a torn write Get gave %v, want the previous value", err)
			}
			// The next good write cleans up the torn one's chunks.
			after := randomBytes(t, 100)
			if err := k.Set(ctx, "creds", after); err != nil {
				t.Fatal(err)
			}
			if got, _ := k.Get(ctx, "creds"); !bytes.Equal(got, after) {
				t.Fatal("write after a torn write")
			}
			m, _ := k.manifest(ctx, "creds")
			for _, slot := range []string{"a", "b"} {
				first := 0
				if slot == m.Slot {
					first = m.Chunks
				}
				if _, err := k.Backend.Get(k.Service, chunkKey("creds", slot, first)); !errors.Is(err, keyring.ErrNotFound) {
					t.Fatalf("stale chunk %s.%d left behind, want it removed", slot, first)
				}
			}
		})
	}
}

func TestKeychainDetectsCorruption(t *testing.T) {
	backend := &memBackend{}
	k := &Store{Service: "latch-test", Backend: backend}
	ctx := context.Background()
	if err := k.Set(ctx, "creds", randomBytes(t, 4000)); err != nil {
		t.Fatal(err)
	}
	_ = backend.Set("latch-test", chunkKey("creds", "a", 1), "AAAA")
	if _, err := k.Get(ctx, "creds"); !errors.Is(err, session.ErrCorruptValue) {
		t.Fatalf("want session.ErrCorruptValue, got %v", err)
	}
	_ = backend.Set("latch-test", "creds", "{not json")
	if _, err := k.Get(ctx, "creds"); !errors.Is(err, session.ErrCorruptValue) {
		t.Fatalf("want session.ErrCorruptValue for a broken manifest, got %v", err)
	}
}

func TestKeychainTimesOut(t *testing.T) {
	fb := &faultyBackend{Backend: &memBackend{}, block: true}
	k := &Store{Service: "latch-test", Backend: fb, Timeout: 100 * time.Millisecond}
	err := k.Set(context.Background(), "creds", []byte("x"))
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, session.ErrKeychainUnavailable) {
		t.Fatalf("got %v, want ErrTimeout, a kind of session.ErrKeychainUnavailable", err)
	}
}

// brokenBackend fails every read with msg, as a platform's keychain says
// it.
type brokenBackend struct {
	memBackend
	msg string
}

func (b *brokenBackend) Get(string, string) (string, error) { return "", errors.New(b.msg) }

// vanishingBackend behaves as the Secret Service does when an item is
// removed between finding it and reading it: the read fails with an error
// that is not "not found".
type vanishingBackend struct{ *memBackend }

func (b vanishingBackend) Get(service, user string) (string, error) {
	v, err := b.memBackend.Get(service, user)
	if errors.Is(err, keyring.ErrNotFound) && strings.Contains(user, ".") {
		return "", errors.New("Object does not exist at path “/org/freedesktop/secrets/collection/login/12”")
	}
	return v, err
}

func TestKeychainReadsNeverFailDuringRewrites(t *testing.T) {
	for name, backend := range map[string]Backend{
		"not found":      &memBackend{},
		"object missing": vanishingBackend{&memBackend{}},
	} {
		t.Run(name, func(t *testing.T) {
			k := &Store{Service: "latch-test", Backend: backend}
			ctx := t.Context()
			values := map[string]bool{}
			for i := range 4 {
				v := bytes.Repeat([]byte{byte('a' + i)}, 5000+i*700) // several chunks each
				values[string(v)] = true
			}
			var first []byte
			for v := range values {
				first = []byte(v)
				break
			}
			if err := k.Set(ctx, "creds", first); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for range 3 { // writers, serialised by the Keychain
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						for v := range values {
							if err := k.Set(ctx, "creds", []byte(v)); err != nil {
								t.Errorf("write gave %v, want success", err)
								return
							}
							time.Sleep(time.Millisecond)
						}
					}
				})
			}
			for range 300 {
				got, err := k.Get(ctx, "creds")
				if err != nil || !values[string(got)] {
					t.Errorf("read during rewrites gave %d bytes, %v; want one whole value written", len(got), err)
					break
				}
			}
			close(stop)
			wg.Wait()
		})
	}
}

func TestKeychainErrorsSayWhichKind(t *testing.T) {
	for msg, want := range map[string]error{
		"failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'": ErrLocked,
		"The name org.freedesktop.secrets was not provided by any .service files":        ErrMissing,
		`exec: "dbus-launch": executable file not found in $PATH`:                        ErrMissing,
		"User interaction is not allowed.":                                               ErrLocked,
		"dial unix /run/user/1000/nope: connect: no such file or directory":              ErrNoBus,
		"something else": session.ErrKeychainUnavailable,
	} {
		k := &Store{Service: "latch-test", Backend: &brokenBackend{msg: msg}}
		_, err := k.Get(t.Context(), "creds")
		if !errors.Is(err, want) || !errors.Is(err, session.ErrKeychainUnavailable) {
			t.Errorf("%q gave %v, want %v", msg, err, want)
		}
	}
}

// readCounter counts the reads that reach a backend.
type readCounter struct {
	Backend
	reads atomic.Int32
}

func (b *readCounter) Get(service, user string) (string, error) {
	b.reads.Add(1)
	return b.Backend.Get(service, user)
}

// TestKeychainSmallValueIsOneItem: a value that fits in one item is
// written in one item and read with one read, text or binary, and a value
// that grows past it, or shrinks back, moves between the forms whole.
func TestKeychainSmallValueIsOneItem(t *testing.T) {
	for name, open := range testKeychainStores(t) {
		t.Run(name, func(t *testing.T) {
			k, fb := open(t)
			counter := &readCounter{Backend: fb}
			k.Backend = counter
			ctx := context.Background()
			for _, value := range [][]byte{
				[]byte(`{"access_token":"a","refresh_token":"r","id_token":"x.y.z"}`),
				{0, 1, 2, 0xff, '\n'},          // binary: base64 in the one item
				randomBytes(t, 6000),           // chunked
				[]byte(`{"access_token":"b"}`), // whole again, the chunks removed
			} {
				if err := k.Set(ctx, "creds", value); err != nil {
					t.Fatal(err)
				}
				counter.reads.Store(0)
				got, err := k.Get(ctx, "creds")
				if err != nil || !bytes.Equal(got, value) {
					t.Fatalf("read back %q, %v; want %q", got, err, value)
				}
				if n := counter.reads.Load(); len(value) < maxChunk/2 && n != 1 {
					t.Fatalf("a value of %d bytes took %d reads; want 1", len(value), n)
				}
			}
			for _, slot := range []string{"a", "b"} {
				if _, err := fb.Get(k.Service, chunkKey("creds", slot, 0)); !errors.Is(err, keyring.ErrNotFound) {
					t.Fatalf("chunk %s.0 left after the value became small again, want it removed", slot)
				}
			}
		})
	}
}

// BenchmarkKeychainSet measures the chunked write of a typical session
// (about 4 KB: an Auth0 ID token and access token) on an in-memory
// backend, that is, the work Latch adds on top of the keychain itself.
func BenchmarkKeychainSet(b *testing.B) {
	k := &Store{Service: "bench", Backend: &memBackend{}}
	value := make([]byte, 4096)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := k.Set(ctx, "creds", value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeychainGet is the matching read.
func BenchmarkKeychainGet(b *testing.B) {
	k := &Store{Service: "bench", Backend: &memBackend{}}
	ctx := context.Background()
	_ = k.Set(ctx, "creds", make([]byte, 4096))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Get(ctx, "creds"); err != nil {
			b.Fatal(err)
		}
	}
}

// FaultyBackend is faultyBackend, for the tests of package keychain_test.
type FaultyBackend = faultyBackend

// Fail makes the next write fail, once.
func (b *faultyBackend) Fail() {
	b.mu.Lock()
	b.failAt = b.writes + 1
	b.mu.Unlock()
}

// RealBackend is the platform's keychain, for the tests of package
// keychain_test.
var RealBackend Backend = newSystem(context.Background(), defaultTimeout, nil)

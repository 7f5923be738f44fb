//go:build unix

package latchapp

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The active-account file is read only when it is a small regular file
// of the person's own: a link, a FIFO, a device or a long file is refused
// at once, saying why without what it holds.
func TestActiveAccountFileIsReadWithCare(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(secret, []byte("root:$6$secret-hash:19000:0:99999:7:::\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(active string) error{
		"a link to another file": func(active string) error { return os.Symlink(secret, active) },
		"a FIFO":                 func(active string) error { return syscall.Mkfifo(active, 0o600) },
		"a device":               func(active string) error { return os.Symlink("/dev/zero", active) },
		"a long file":            func(active string) error { return os.WriteFile(active, bytes.Repeat([]byte("a"), 1<<20), 0o600) },
		"not a name":             func(active string) error { return os.WriteFile(active, []byte("root:$6$secret-hash\n"), 0o600) },
	}
	for name, plant := range cases {
		t.Run(name, func(t *testing.T) {
			file := writeFile(t, "issuer = \"https://a.example.test/\"\nclient_id = \"a\"\n")
			if err := plant(activePath(file)); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := ChosenAccount(Settings{}, envOf(nil), file)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("reading the active account hangs")
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "latch switch") {
				t.Fatalf("ChosenAccount: %v; want a ConfigError saying to choose with latch switch", err)
			}
			if strings.Contains(err.Error(), "secret-hash") || strings.Contains(err.Error(), "aaaa") {
				t.Fatalf("the error echoes the file: %v", err)
			}
			if got := ActiveAccount(file); got != DefaultAccount {
				t.Errorf("ActiveAccount = %q; want the default account", got)
			}
		})
	}
	// A folder others may write to: refused too.
	file := writeFile(t, "issuer = \"https://a.example.test/\"\nclient_id = \"a\"\n")
	if err := os.WriteFile(activePath(file), []byte("default\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(file), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := ChosenAccount(Settings{}, envOf(nil), file); err == nil || !strings.Contains(err.Error(), "others may write") {
		t.Errorf("an active-account file in a folder others may write to: %v; want it refused", err)
	}
}

// A config file kept as a link stays a link when Latch adds an account
// to it: the file it points to is written.
func TestSaveAccountWritesThroughALink(t *testing.T) {
	real := writeFile(t, "issuer = \"https://a.example.test/\"\nclient_id = \"a\"\n")
	link := filepath.Join(t.TempDir(), "config.toml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	flags := Settings{Issuer: "https://b.example.test/", ClientID: "b", Set: map[string]bool{"issuer": true, "client-id": true}}
	if err := SaveAccount(link, "b", flags); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("after SaveAccount the config file's link is %v, %v; want it kept", info.Mode(), err)
	}
	if b, _ := os.ReadFile(real); !strings.Contains(string(b), "[accounts.b]") {
		t.Fatalf("the linked file after SaveAccount:\n%s", b)
	}
}

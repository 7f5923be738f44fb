package secretservice

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/godbus/dbus/v5"
)

// The Secret Service's collections, the alias of its default one, and its
// prompts.
const (
	collectionsPath = "/org/freedesktop/secrets/collection/"
	defaultAlias    = dbus.ObjectPath("/org/freedesktop/secrets/aliases/default")
	promptIface     = "org.freedesktop.Secret.Prompt"
)

// ErrDismissed means the person declined the Secret Service's question:
// they did not unlock the keychain, or did not let the program use its
// item.
var ErrDismissed = errors.New("the keychain's question was declined")

// Unlock makes the items of service, and the collection where go-keyring
// keeps them (the login collection, else the default one), ready for
// go-keyring to read, write or delete on the process's shared connection,
// so that go-keyring meets no question of the Secret Service's, which it
// would wait for without end. The items are unlocked together, so that a
// person is asked once for all of them, not once for each. Where the Secret
// Service must first ask the person (gnome-keyring's password for a
// locked keyring; KeePassXC's Access Request before a program uses an
// entry that another program made), asking is called with the
// keychain's name as a person knows it ("KeePassXC", "GNOME Keyring",
// "KWallet"; "" when it cannot tell), and the answer is waited for until
// ctx ends; then ctx's error is returned, and the question stays on the
// screen for the person to answer. A declined question is
// [ErrDismissed]. Off Linux it does nothing.
func Unlock(ctx context.Context, service string, asking func(keeper string)) error {
	if runtime.GOOS != "linux" {
		return nil
	}
	conn, err := SessionBus()
	if err != nil {
		return err
	}
	return unlockService(ctx, conn, service, asking)
}

// unlockService is Unlock on the bus conn is connected to.
func unlockService(ctx context.Context, conn *dbus.Conn, service string, asking func(keeper string)) error {
	turn, err := takeTurn(ctx, func() {
		if asking != nil {
			asking(keeperOf(conn))
		}
	})
	if err != nil {
		return err
	}
	defer turn.Release()
	collection, err := loginCollection(ctx, conn)
	if err != nil {
		return err
	}
	if err := unlock(ctx, conn, []dbus.ObjectPath{collection}, asking); err != nil {
		return err
	}
	var items []dbus.ObjectPath
	search := conn.Object(serviceName, collection).CallWithContext(ctx, "org.freedesktop.Secret.Collection.SearchItems", 0, map[string]string{"service": service})
	if err := search.Store(&items); err != nil {
		return fmt.Errorf("searching the keychain: %w", err)
	}
	if len(items) == 0 {
		return nil
	}
	return unlock(ctx, conn, items, asking)
}

// loginCollection is the collection go-keyring uses: the login collection
// where there is one (gnome-keyring's), else the default alias.
func loginCollection(ctx context.Context, conn *dbus.Conn) (dbus.ObjectPath, error) {
	var v dbus.Variant
	err := conn.Object(serviceName, servicePath).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, serviceIface, "Collections").Store(&v)
	if err != nil {
		return "", fmt.Errorf("listing the keychain's collections: %w", err)
	}
	paths, _ := v.Value().([]dbus.ObjectPath)
	if login := dbus.ObjectPath(collectionsPath + "login"); slices.Contains(paths, login) {
		return login, nil
	}
	return defaultAlias, nil
}

// unlock unlocks objects (a collection, or items), asking the person when
// the Secret Service needs to.
func unlock(ctx context.Context, conn *dbus.Conn, objects []dbus.ObjectPath, asking func(keeper string)) error {
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	call := conn.Object(serviceName, servicePath).CallWithContext(ctx, serviceIface+".Unlock", 0, objects)
	if err := call.Store(&unlocked, &prompt); err != nil {
		return fmt.Errorf("unlocking the keychain: %w", err)
	}
	if prompt == "/" || prompt == "" {
		return nil
	}
	return answer(ctx, conn, prompt, asking)
}

// answer shows the person the Secret Service's prompt and waits for their
// answer until ctx ends.
func answer(ctx context.Context, conn *dbus.Conn, prompt dbus.ObjectPath, asking func(keeper string)) error {
	match := []dbus.MatchOption{dbus.WithMatchObjectPath(prompt), dbus.WithMatchInterface(promptIface)}
	if err := conn.AddMatchSignalContext(ctx, match...); err != nil {
		return fmt.Errorf("waiting for the keychain's question: %w", err)
	}
	defer conn.RemoveMatchSignal(match...) //nolint:errcheck // the match ends with the connection anyway
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)
	defer conn.RemoveSignal(signals)
	if err := conn.Object(serviceName, prompt).CallWithContext(ctx, promptIface+".Prompt", 0, "").Err; err != nil {
		return fmt.Errorf("showing the keychain's question: %w", err)
	}
	if asking != nil {
		asking(keeperOf(conn))
	}
	for {
		select {
		case s := <-signals:
			if s.Path != prompt || s.Name != promptIface+".Completed" {
				continue
			}
			if len(s.Body) > 0 && s.Body[0] == true {
				return ErrDismissed
			}
			return nil
		case <-ctx.Done():
			// The question stays on the screen: the person's answer still
			// unlocks the keyring for the next call. It is not dismissed:
			// gnome-keyring (42 and 46) aborts when an unlock prompt is
			// dismissed while its window is shown.
			return ctx.Err()
		}
	}
}

// keepers are the programs that serve the Secret Service, by their
// process's name, as people know them.
var keepers = map[string]string{
	"keepassxc":       "KeePassXC",
	"gnome-keyring-d": "GNOME Keyring",
	"kwalletd5":       "KWallet",
	"kwalletd6":       "KWallet",
	"ksecretd":        "KWallet",
}

// keeperOf names the program that serves the Secret Service on conn, or
// "" when it cannot tell.
func keeperOf(conn *dbus.Conn) string {
	var pid uint32
	if err := conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, serviceName).Store(&pid); err != nil {
		return ""
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	return keepers[strings.TrimSpace(string(comm))]
}

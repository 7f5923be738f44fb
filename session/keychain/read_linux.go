//go:build linux

package keychain

import (
	"errors"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"github.com/latchapp/latch/internal/sessionbus"
)

// The Secret Service's object and interface that a read uses.
const (
	secretsPath    = dbus.ObjectPath("/org/freedesktop/secrets")
	secretsService = "org.freedesktop.Secret.Service"
)

// errSlowPath means the quick read cannot answer for sure (the item is
// locked, or the service answered unexpectedly), so go-keyring's read,
// which unlocks, must.
var errSlowPath = errors.New("the quick read cannot answer")

// readItem reads the item that go-keyring stores for (service, user).
//
// go-keyring's own read makes seven calls one after the other (list the
// collections, unlock the collection, search, open a session, unlock the
// item, read it, close the session), and gnome-keyring takes about half a
// millisecond for each. An unlocked item, which is what nearly every read
// meets, needs three: the search, which also tells locked items from
// unlocked ones, opening a session, and the read; the session is closed
// without waiting for the answer. That is most of the time of a
// short-lived process such as `latch token`. A locked item is left to
// go-keyring, so that how a locked keychain is unlocked stays as it was.
//
// The calls are made one at a time, as go-keyring makes them: calls that
// a new client sends gnome-keyring at once can meet a race in it that
// aborts the daemon (gnome-keyring issues 190, 196 and 199: "assertion
// 'client' failed").
func readItem(service, user string) (string, error) {
	conn, err := sessionbus.Conn()
	if err != nil {
		// Never go-keyring's read without a bus: it would try to start one.
		return "", err
	}
	value, err := quickRead(conn, service, user)
	if errors.Is(err, errSlowPath) {
		return keyring.Get(service, user)
	}
	return value, err
}

// quickRead is readItem's fast path; it returns an error wrapping
// errSlowPath whenever go-keyring's read must decide. It searches every
// collection, where go-keyring searches the one it writes to (the login
// collection, else the default one): go-keyring's items are found alike.
func quickRead(conn *dbus.Conn, service, user string) (string, error) {
	secrets := conn.Object(secretsName, secretsPath)
	var unlocked, locked []dbus.ObjectPath
	err := secrets.Call(secretsService+".SearchItems", 0, map[string]string{"username": user, "service": service}).Store(&unlocked, &locked)
	switch {
	case err != nil:
		return "", errors.Join(errSlowPath, err)
	case len(unlocked) == 0 && len(locked) == 0:
		return "", keyring.ErrNotFound
	case len(unlocked) == 0:
		return "", errSlowPath
	}
	var sessionPath dbus.ObjectPath
	var output dbus.Variant
	if err := secrets.Call(secretsService+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&output, &sessionPath); err != nil {
		return "", errors.Join(errSlowPath, err)
	}
	// The session ends with the read; nobody waits for the answer.
	defer conn.Object(secretsName, sessionPath).Go("org.freedesktop.Secret.Session.Close", dbus.FlagNoReplyExpected, nil)
	var secret struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}
	if err := conn.Object(secretsName, unlocked[0]).Call("org.freedesktop.Secret.Item.GetSecret", 0, sessionPath).Store(&secret); err != nil {
		// An item locked or deleted since the search: go-keyring unlocks
		// the one and reports the other.
		return "", errors.Join(errSlowPath, err)
	}
	return string(secret.Value), nil
}

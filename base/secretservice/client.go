package secretservice

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/latchapp/latch/base/secretservice/prelude"
)

// client is a connection of its own to the session bus for reading the
// Secret Service's items with as few round trips as the bus allows: the
// connection is made by the prelude package, which sends the
// authentication and Hello at once, and calls are then made one at a
// time, each after the last one's answer (gnome-keyring must answer a
// client's first call before it is asked for a session; see
// [prelude.Dial]). A session ("plain": the secret travels over the
// process's own socket) is opened when first needed and kept with the
// connection. It is not safe for concurrent use.
type client struct {
	conn *prelude.Conn
	// deadline ends the calls made until it is changed (see until); zero
	// for none but the connection's own bound on each read.
	deadline time.Time
	in       *bufio.Reader
	serial   uint32
	session  dbus.ObjectPath
}

// openClient opens a [client] on the bus at addr, taking the connection
// the prelude started while the program initialised when there is one.
// It fails with an error wrapping [prelude.ErrUnsupported] for an address
// that is not a Unix socket, and with the bus's error when it refuses.
func openClient(ctx context.Context, addr string) (*client, error) {
	conn, err := prelude.Open(addr)
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn, in: bufio.NewReader(conn), serial: conn.HelloSerial() + 1}
	if err := c.until(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	if err := c.open(); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// open reads the answers to the prelude: the authentication's OK and
// Hello's unique name.
func (s *client) open() error {
	// One line, read within the reader's buffer: a longer one is no
	// answer of a bus.
	line, err := s.in.ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("authenticating to the session bus: %w", err)
	}
	if !bytes.HasPrefix(line, []byte("OK ")) {
		return fmt.Errorf("the session bus refused the authentication: %q", bytes.TrimSpace(line[:min(len(line), 100)]))
	}
	_, err = s.reply(s.conn.HelloSerial())
	return err
}

// openSession is the Secret Service session on the connection, opened by the
// first call for it; an error reply is a [dbus.Error].
func (s *client) openSession() (dbus.ObjectPath, error) {
	if s.session != "" {
		return s.session, nil
	}
	reply, err := s.call(servicePath, serviceIface, "OpenSession", "vo", "plain", dbus.MakeVariant(""))
	if err != nil {
		return "", err
	}
	// The algorithm's output, a variant ("plain" answers an empty
	// string), then the session.
	if sig := reply.signature(); sig != "s" {
		return "", fmt.Errorf("the Secret Service answered OpenSession with a variant of type %q", sig)
	}
	reply.string()
	s.session = dbus.ObjectPath(reply.string())
	return s.session, reply.err
}

// searchItems returns the items whose attributes include attrs, unlocked
// and locked, in every collection.
func (s *client) searchItems(attrs map[string]string) (unlocked, locked []dbus.ObjectPath, err error) {
	reply, err := s.call(servicePath, serviceIface, "SearchItems", "aoao", attrs)
	if err != nil {
		return nil, nil, err
	}
	unlocked, locked = reply.paths(), reply.paths()
	return unlocked, locked, reply.err
}

// getSecret returns an item's secret, through the session.
func (s *client) getSecret(item dbus.ObjectPath) ([]byte, error) {
	session, err := s.openSession()
	if err != nil {
		return nil, err
	}
	reply, err := s.call(item, "org.freedesktop.Secret.Item", "GetSecret", "(oayays)", session)
	if err != nil {
		return nil, err
	}
	// The secret: its session, parameters, value and content type.
	reply.align(8)
	reply.string()
	reply.bytes()
	value := reply.bytes()
	reply.string()
	return value, reply.err
}

// call calls member of iface on the Secret Service's object at path and
// returns the reply's body, whose signature must be want; an error reply
// is a [dbus.Error].
func (s *client) call(path dbus.ObjectPath, iface, member, want string, args ...any) (*cursor, error) {
	serial := s.serial
	s.serial++
	msg := &dbus.Message{
		Type: dbus.TypeMethodCall,
		Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldDestination: dbus.MakeVariant(serviceName),
			dbus.FieldPath:        dbus.MakeVariant(path),
			dbus.FieldInterface:   dbus.MakeVariant(iface),
			dbus.FieldMember:      dbus.MakeVariant(member),
		},
		Body: args,
	}
	if len(args) > 0 {
		msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(args...))
	}
	var b bytes.Buffer
	if err := msg.EncodeTo(&b, binary.LittleEndian); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", member, err)
	}
	// The library gives no way to set a message's serial: it sits at byte
	// 8 of the fixed header.
	raw := b.Bytes()
	binary.LittleEndian.PutUint32(raw[8:12], serial)
	if _, err := s.conn.Write(raw); err != nil {
		return nil, fmt.Errorf("writing to the session bus: %w", err)
	}
	reply, err := s.reply(serial)
	if err != nil {
		return nil, err
	}
	if reply.signature != want {
		return nil, fmt.Errorf("the Secret Service answered %s with %q where %q was expected", member, reply.signature, want)
	}
	return &reply.body, nil
}

// until bounds the calls that follow by ctx's deadline, if it has one.
func (s *client) until(ctx context.Context) error {
	s.deadline, _ = ctx.Deadline()
	return s.conn.SetDeadline(s.deadline)
}

// maxReply bounds a message on the client's connection: the Secret
// Service's answers are a few kilobytes (a session's record), and the
// bus's signals smaller still.
const maxReply = 1 << 20

// errDeadline means a call went on past its deadline.
var errDeadline = errors.New("the Secret Service did not answer in time")

// reply reads messages up to the reply to serial, passing over the bus's
// signals (NameAcquired follows Hello), until the deadline.
func (s *client) reply(serial uint32) (*message, error) {
	for {
		if !s.deadline.IsZero() && time.Now().After(s.deadline) {
			return nil, errDeadline
		}
		msg, err := readMessage(s.in, maxReply)
		if err != nil {
			return nil, fmt.Errorf("reading from the session bus: %w", err)
		}
		if (msg.typ != typeMethodReply && msg.typ != typeError) || msg.replySerial != serial {
			continue
		}
		if msg.typ == typeError {
			var text []any
			if msg.signature != "" && msg.signature[0] == 's' {
				text = append(text, msg.body.string())
			}
			return nil, dbus.Error{Name: msg.errorName, Body: text}
		}
		return msg, nil
	}
}

// close closes the connection, which ends the session.
func (s *client) close() error { return s.conn.Close() }

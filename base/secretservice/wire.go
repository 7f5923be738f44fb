package secretservice

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/godbus/dbus/v5"
)

// The D-Bus message types and header fields that a reply is read by.
const (
	typeMethodReply = 2
	typeError       = 3

	fieldErrorName   = 4
	fieldReplySerial = 5
	fieldSignature   = 8
)

// maxMessage is the D-Bus specification's limit on a message (128 MiB).
const maxMessage = 1 << 27

// message is a D-Bus message as a [Secrets] reads it: its type, the serial
// it answers, its error name, the body's signature, and the body with the
// byte order it was written in. The D-Bus library's decoder would turn a
// secret's every byte into an interface value of its own, which costs a
// short-lived process more than gnome-keyring's answer takes to come.
type message struct {
	typ         byte
	replySerial uint32
	errorName   string
	signature   string
	body        cursor
}

// readMessage reads one message of at most limit bytes (at most the D-Bus
// limit), allocating nothing for a larger one.
func readMessage(r *bufio.Reader, limit int) (*message, error) {
	var fixed [16]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return nil, err
	}
	var order binary.ByteOrder
	switch fixed[0] {
	case 'l':
		order = binary.LittleEndian
	case 'B':
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("a message in the byte order %q", fixed[0])
	}
	bodyLen, fieldsLen := order.Uint32(fixed[4:8]), order.Uint32(fixed[12:16])
	limit = min(limit, maxMessage)
	// Added as 64-bit numbers: two lengths near 2^32 must not wrap.
	if total := 16 + (uint64(fieldsLen)+7)&^7 + uint64(bodyLen); total > uint64(limit) {
		return nil, fmt.Errorf("a message of %d bytes, over the limit of %d", total, limit)
	}
	// The fields, padded to eight bytes, then the body.
	headerLen := (16 + int(fieldsLen) + 7) &^ 7
	raw := make([]byte, headerLen-16+int(bodyLen))
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, err
	}
	m := &message{typ: fixed[1], body: cursor{b: raw[headerLen-16:], order: order}}
	// The fields array starts at byte 16, so its alignment is the
	// message's.
	fields := cursor{b: raw[:fieldsLen], order: order, base: 16}
	for fields.err == nil && fields.off < len(fields.b) {
		fields.align(8)
		code := fields.byte()
		sig := fields.signature()
		switch {
		case code == fieldReplySerial && sig == "u":
			m.replySerial = fields.uint32()
		case code == fieldErrorName && sig == "s":
			m.errorName = fields.string()
		case code == fieldSignature && sig == "g":
			m.signature = fields.signature()
		default:
			fields.skip(sig)
		}
	}
	if fields.err != nil {
		return nil, fmt.Errorf("a message's header: %w", fields.err)
	}
	return m, nil
}

// cursor reads marshalled D-Bus values from b; base is b's offset in the
// message, for alignment. The first malformed value sets err, and every
// read after it gives zero values.
type cursor struct {
	b     []byte
	off   int
	base  int
	order binary.ByteOrder
	err   error
}

var errShort = errors.New("a value runs past the end of its message")

func (c *cursor) align(n int) {
	for (c.base+c.off)%n != 0 {
		c.off++
	}
	if c.off > len(c.b) {
		c.fail(errShort)
	}
}

func (c *cursor) fail(err error) {
	if c.err == nil {
		c.err = err
	}
	c.off = len(c.b)
}

func (c *cursor) take(n int) []byte {
	if c.err != nil || n < 0 || n > len(c.b)-c.off {
		c.fail(errShort)
		return nil
	}
	b := c.b[c.off : c.off+n]
	c.off += n
	return b
}

func (c *cursor) byte() byte {
	if b := c.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (c *cursor) uint32() uint32 {
	c.align(4)
	if b := c.take(4); b != nil {
		return c.order.Uint32(b)
	}
	return 0
}

// string reads a string or an object path (and its NUL).
func (c *cursor) string() string {
	n := c.uint32()
	// Compared before adding: on a 32-bit platform int(n)+1 can wrap.
	if uint64(n) >= uint64(len(c.b)-c.off) {
		c.fail(errShort)
		return ""
	}
	b := c.take(int(n) + 1)
	if b == nil {
		return ""
	}
	return string(b[:n])
}

// signature reads a signature: a length byte, the types and a NUL.
func (c *cursor) signature() string {
	n := c.byte()
	b := c.take(int(n) + 1)
	if b == nil {
		return ""
	}
	return string(b[:n])
}

// bytes reads an array of bytes.
func (c *cursor) bytes() []byte {
	n := c.uint32()
	if uint64(n) > uint64(len(c.b)-c.off) {
		c.fail(errShort)
		return nil
	}
	return c.take(int(n))
}

// paths reads an array of object paths.
func (c *cursor) paths() []dbus.ObjectPath {
	n := c.uint32()
	if uint64(n) > uint64(len(c.b)-c.off) {
		c.fail(errShort)
		return nil
	}
	end := c.off + int(n)
	if end > len(c.b) {
		c.fail(errShort)
		return nil
	}
	var paths []dbus.ObjectPath
	for c.err == nil && c.off < end {
		paths = append(paths, dbus.ObjectPath(c.string()))
	}
	return paths
}

// skip passes over a header field's value of a basic type; any other
// type is an error (the specification defines none for header fields).
func (c *cursor) skip(sig string) {
	switch sig {
	case "y":
		c.take(1)
	case "b", "i", "u":
		c.uint32()
	case "n", "q":
		c.align(2)
		c.take(2)
	case "x", "t", "d":
		c.align(8)
		c.take(8)
	case "s", "o":
		c.string()
	case "g":
		c.signature()
	default:
		c.fail(fmt.Errorf("a header field of type %q", sig))
	}
}

package secretservice

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/godbus/dbus/v5"
)

// encodeReply is a reply as the D-Bus library writes one, in order.
func encodeReply(t testing.TB, order binary.ByteOrder, typ dbus.Type, replySerial uint32, body ...any) []byte {
	t.Helper()
	m := &dbus.Message{Type: typ, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldReplySerial: dbus.MakeVariant(replySerial),
		dbus.FieldSender:      dbus.MakeVariant(":1.7"),
		dbus.FieldDestination: dbus.MakeVariant(":1.8"),
	}, Body: body}
	if typ == dbus.TypeError {
		m.Headers[dbus.FieldErrorName] = dbus.MakeVariant("org.freedesktop.Secret.Error.IsLocked")
	}
	if len(body) > 0 {
		m.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(body...))
	}
	var b bytes.Buffer
	if err := m.EncodeTo(&b, order); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type secret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// What the D-Bus library writes, in either byte order, the quick reader
// reads back: the reply serial, error name, signature and the values.
func TestReadMessageReadsWhatTheLibraryWrites(t *testing.T) {
	value := bytes.Repeat([]byte("t:{\"access_token\":\"é\"}"), 90)
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		var stream []byte
		stream = append(stream, encodeReply(t, order, dbus.TypeMethodReply, 3, []dbus.ObjectPath{"/a/1", "/a/22"}, []dbus.ObjectPath{"/b/333"})...)
		stream = append(stream, encodeReply(t, order, dbus.TypeMethodReply, 4, secret{"/s/1", []byte{1, 2, 3}, value, "text/plain"})...)
		stream = append(stream, encodeReply(t, order, dbus.TypeError, 5, "Cannot get secret of a locked object")...)
		in := bufio.NewReader(bytes.NewReader(stream))

		m, err := readMessage(in, maxMessage)
		if err != nil || m.replySerial != 3 || m.signature != "aoao" {
			t.Fatalf("%v: the search's reply read as %+v, %v", order, m, err)
		}
		unlocked, locked := m.body.paths(), m.body.paths()
		if !reflect.DeepEqual(unlocked, []dbus.ObjectPath{"/a/1", "/a/22"}) || !reflect.DeepEqual(locked, []dbus.ObjectPath{"/b/333"}) || m.body.err != nil {
			t.Errorf("%v: the paths read as %v %v, %v", order, unlocked, locked, m.body.err)
		}

		m, err = readMessage(in, maxMessage)
		if err != nil || m.replySerial != 4 || m.signature != "(oayays)" {
			t.Fatalf("%v: the secret's reply read as %+v, %v", order, m, err)
		}
		m.body.align(8)
		session, params, got, ctype := m.body.string(), m.body.bytes(), m.body.bytes(), m.body.string()
		if session != "/s/1" || !bytes.Equal(params, []byte{1, 2, 3}) || !bytes.Equal(got, value) || ctype != "text/plain" || m.body.err != nil {
			t.Errorf("%v: the secret read as %q %v %q %q, %v", order, session, params, got, ctype, m.body.err)
		}

		m, err = readMessage(in, maxMessage)
		if err != nil || m.typ != typeError || m.errorName != "org.freedesktop.Secret.Error.IsLocked" || m.body.string() != "Cannot get secret of a locked object" {
			t.Errorf("%v: the error read as %+v, %v", order, m, err)
		}
	}
}

// A message cut short, of an unknown byte order, or claiming more than
// the D-Bus limit is an error, never a panic or an allocation of its
// claim.
func TestReadMessageRefusesMalformedMessages(t *testing.T) {
	good := encodeReply(t, binary.LittleEndian, dbus.TypeMethodReply, 3, []dbus.ObjectPath{"/a/1"}, []dbus.ObjectPath{})
	huge := bytes.Clone(good)
	binary.LittleEndian.PutUint32(huge[4:8], 1<<30)
	order := bytes.Clone(good)
	order[0] = 'x'
	for name, b := range map[string][]byte{
		"cut in the header": good[:10],
		"cut in the body":   good[:len(good)-3],
		"huge":              huge,
		"byte order":        order,
	} {
		if m, err := readMessage(bufio.NewReader(bytes.NewReader(b)), maxMessage); err == nil {
			t.Errorf("%s: read as %+v; want an error", name, m)
		}
	}
	// A body whose array claims more than there is.
	m, err := readMessage(bufio.NewReader(bytes.NewReader(good)), maxMessage)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(m.body.b[0:4], 1000)
	if paths := m.body.paths(); paths != nil || m.body.err == nil {
		t.Errorf("an array past the end read as %v, %v; want an error", paths, m.body.err)
	}
}

// A string or byte array whose length says 0xFFFFFFFF (which int(n)+1
// would wrap on a 32-bit platform) is a short message, not a panic or a
// read past the end.
func TestHugeLengthsAreRefused(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		b := make([]byte, 12)
		order.PutUint32(b, 0xFFFFFFFF)
		copy(b[4:], "abcdefgh")
		c := &cursor{b: b, order: order}
		if s := c.string(); s != "" || c.err == nil {
			t.Errorf("%v: a string of length 0xFFFFFFFF read as %q, %v; want an error", order, s, c.err)
		}
		c = &cursor{b: b, order: order}
		if v := c.bytes(); v != nil || c.err == nil {
			t.Errorf("%v: bytes of length 0xFFFFFFFF read as %q, %v; want an error", order, v, c.err)
		}
	}
}

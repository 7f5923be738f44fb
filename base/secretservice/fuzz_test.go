package secretservice

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/godbus/dbus/v5"
)

// FuzzReadMessage gives the reply reader any bytes: it never panics, and
// where the D-Bus library also reads them as a reply, the two agree on
// the serial answered, the signature, and the paths of a search's answer.
func FuzzReadMessage(f *testing.F) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		f.Add(encodeReply(f, order, dbus.TypeMethodReply, 3, []dbus.ObjectPath{"/a/1", "/a/22"}, []dbus.ObjectPath{"/b/333"}))
		f.Add(encodeReply(f, order, dbus.TypeMethodReply, 4, secret{"/s/1", []byte{1, 2, 3}, []byte("t:{}"), "text/plain"}))
		f.Add(encodeReply(f, order, dbus.TypeMethodReply, 2, dbus.MakeVariant(""), dbus.ObjectPath("/s/2")))
		f.Add(encodeReply(f, order, dbus.TypeError, 5, "Cannot get secret of a locked object"))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := readMessage(bufio.NewReader(bytes.NewReader(b)), maxReply)
		if err != nil {
			return
		}
		// Every reader of the body runs to its end without a panic.
		body := m.body
		switch m.signature {
		case "aoao":
			body.paths()
			body.paths()
		case "(oayays)":
			body.align(8)
			body.string()
			body.bytes()
			body.bytes()
			body.string()
		case "vo":
			body.signature()
			body.string()
			body.string()
		default:
			body.skip(m.signature)
		}
		if body.err != nil || !libraryReads(m) {
			return
		}
		lib, err := dbus.DecodeMessage(bytes.NewReader(b))
		if err != nil || (lib.Type != dbus.TypeMethodReply && lib.Type != dbus.TypeError) {
			return
		}
		var serial uint32
		if v, ok := lib.Headers[dbus.FieldReplySerial]; ok {
			serial, _ = v.Value().(uint32)
		}
		var sig string
		if v, ok := lib.Headers[dbus.FieldSignature]; ok {
			s, _ := v.Value().(dbus.Signature)
			sig = s.String()
		}
		if m.replySerial != serial || m.signature != sig {
			t.Fatalf("read as a reply to %d with signature %q; the D-Bus library reads %d and %q", m.replySerial, m.signature, serial, sig)
		}
		if sig != "aoao" || lib.Type != dbus.TypeMethodReply || len(lib.Body) != 2 {
			return
		}
		body = m.body
		unlocked, locked := body.paths(), body.paths()
		if body.err != nil {
			t.Fatalf("the paths of a search's answer that the D-Bus library reads fail: %v", body.err)
		}
		if !samePaths(unlocked, lib.Body[0]) || !samePaths(locked, lib.Body[1]) {
			t.Fatalf("the paths read as %v and %v; the D-Bus library reads %v", unlocked, locked, lib.Body)
		}
	})
}

// libraryReads says whether the D-Bus library is asked to read m too,
// once the client has read its body whole: the replies the client reads,
// with a variant only of the type it accepts. The library allocates what
// a length declares before it reads (2.5 GiB for a string whose length
// reads 0xa1a1a1a1), which slows a fuzzing worker past its 10 s bound on
// a call, or ends it; the client checks every length against what is
// left of the message first.
func libraryReads(m *message) bool {
	switch m.signature {
	case "aoao", "(oayays)", "s", "":
		return true
	case "vo":
		body := m.body
		return body.signature() == "s"
	}
	return false
}

// samePaths says whether paths are the D-Bus library's value v.
func samePaths(paths []dbus.ObjectPath, v any) bool {
	want, _ := v.([]dbus.ObjectPath)
	if len(paths) == 0 && len(want) == 0 {
		return true
	}
	return reflect.DeepEqual(paths, want)
}

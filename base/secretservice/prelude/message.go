package prelude

import "encoding/binary"

// The D-Bus header fields a method call carries.
const (
	fieldPath        = 1
	fieldInterface   = 2
	fieldMember      = 3
	fieldDestination = 6
)

// methodCall appends a little-endian D-Bus method call without arguments
// to b: the fixed header and the header fields (path, interface, member
// and destination).
func methodCall(b []byte, serial uint32, dest, path, iface, member string) []byte {
	var fields []byte
	field := func(code byte, sig byte, value string) {
		fields = pad(fields, 8)
		fields = append(fields, code, 1, sig, 0)
		fields = appendString(fields, value)
	}
	field(fieldPath, 'o', path)
	field(fieldInterface, 's', iface)
	field(fieldMember, 's', member)
	field(fieldDestination, 's', dest)
	start := len(b)
	b = append(b, 'l', 1, 0, 1)                // little-endian, method call, no flags, version 1
	b = binary.LittleEndian.AppendUint32(b, 0) // no body
	b = binary.LittleEndian.AppendUint32(b, serial)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(fields)))
	b = append(b, fields...)
	for (len(b)-start)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// appendString marshals a string (or object path): its length, its bytes
// and a NUL, aligned to four bytes from the start of b.
func appendString(b []byte, s string) []byte {
	b = pad(b, 4)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	b = append(b, s...)
	return append(b, 0)
}

// pad appends NULs up to the alignment n.
func pad(b []byte, n int) []byte {
	for len(b)%n != 0 {
		b = append(b, 0)
	}
	return b
}

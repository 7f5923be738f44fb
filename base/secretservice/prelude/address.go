package prelude

import (
	"fmt"
	"strings"
)

// socketPath is the Unix socket that a D-Bus address names: the first of
// its ';'-separated entries that is unix:path=… or unix:abstract=… (the
// latter with the '@' by which the system names the abstract namespace).
// Values may be %-escaped, as the D-Bus specification allows.
func socketPath(addr string) (string, error) {
	for entry := range strings.SplitSeq(addr, ";") {
		transport, keys, ok := strings.Cut(entry, ":")
		if !ok || transport != "unix" {
			continue
		}
		for kv := range strings.SplitSeq(keys, ",") {
			key, value, _ := strings.Cut(kv, "=")
			if key != "path" && key != "abstract" {
				continue
			}
			value, err := unescape(value)
			if err != nil {
				return "", fmt.Errorf("the session bus address %q: %w", addr, err)
			}
			if value == "" {
				break
			}
			if key == "abstract" {
				return "@" + value, nil
			}
			return value, nil
		}
	}
	return "", ErrUnsupported
}

// unescape undoes the %XX escaping of a D-Bus address value.
func unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
			return "", fmt.Errorf("a malformed escape at byte %d", i)
		}
		b.WriteByte(byte(unhex(s[i+1])<<4 | unhex(s[i+2])))
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

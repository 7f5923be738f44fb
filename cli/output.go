package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// escape writes r as an escape sequence, when it is a character that
// could forge output or drive a terminal: control characters (ESC, CSI,
// BEL, a carriage return...), line and paragraph separators, invalid
// UTF-8. keepLines lets newlines and tabs through, for whole lines of
// output.
func escape(b *strings.Builder, r rune, size int, raw byte, keepLines bool) {
	switch {
	case r == utf8.RuneError && size == 1:
		fmt.Fprintf(b, `\x%02x`, raw)
	case keepLines && (r == '\n' || r == '\t'):
		b.WriteRune(r)
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		if r < 0x100 {
			fmt.Fprintf(b, `\x%02x`, r)
		} else {
			fmt.Fprintf(b, `\u%04x`, r)
		}
	default:
		b.WriteRune(r)
	}
}

// field makes text that came from outside (a provider, a metadata key, a
// name) safe to print as one field: every control character, newlines
// included, is shown escaped.
func field(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		escape(&b, r, size, s[i], false)
		i += size
	}
	return b.String()
}

// safeWriter is the command line's stdout and stderr: whatever is written,
// control characters other than newlines and tabs reach the terminal
// escaped.
type safeWriter struct{ w io.Writer }

func (s safeWriter) Write(p []byte) (int, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		escape(&b, r, size, p[i], true)
		i += size
	}
	if _, err := io.WriteString(s.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

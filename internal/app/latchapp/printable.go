package latchapp

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable is s as it can be shown to a person without deceiving them:
// text that came from outside (a provider's name for the person, a
// metadata key) could otherwise forge lines, drive a terminal, or turn
// the text around it. Control characters (newlines included), line and
// paragraph separators, format characters (category Cf: bidirectional
// overrides and isolates, zero-width characters) and invalid UTF-8 are
// shown as escapes: \x1b, \u202e. The command line and the desktop app
// both show outside text through it.
func Printable(s string) string { return printable(s, false) }

// PrintableLines is [Printable] for whole lines of output: newlines and
// tabs are kept.
func PrintableLines(s string) string { return printable(s, true) }

func printable(s string, keepLines bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case keepLines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', unicode.Is(unicode.Cf, r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

package cli

import (
	"bytes"
	"testing"
)

func TestOutputFromOutsideCannotDriveTheTerminal(t *testing.T) {
	for in, want := range map[string]string{
		"plain key":                "plain key",
		"forged\nline=1":           `forged\x0aline=1`,
		"title\x1b]0;pwned\x07":    `title\x1b]0;pwned\x07`,
		"csi\u009b31m":             `csi\x9b31m`,
		"carriage\rreturn":         `carriage\x0dreturn`,
		"separator\u2028x":         `separator\u2028x`,
		"bad \xff utf-8":           `bad \xff utf-8`,
		"Ünïcödé stays readable ✓": "Ünïcödé stays readable ✓",
		"Mallory \u202etxt.exe":    `Mallory \u202etxt.exe`,
		"iso\u2066late\u2069":      `iso\u2066late\u2069`,
		"zero\u200bwidth\ufeff":    `zero\u200bwidth\ufeff`,
	} {
		if got := field(in); got != want {
			t.Errorf("field(%q) = %q, want %q", in, got, want)
		}
	}
	var out bytes.Buffer
	w := safeWriter{&out}
	if _, err := w.Write([]byte("line one\n\tline two \x1b[2J\n")); err != nil {
		t.Fatal(err)
	}
	if want := "line one\n\tline two \\x1b[2J\n"; out.String() != want {
		t.Errorf("safeWriter wrote %q, want %q: lines kept, the escape sequence shown", out.String(), want)
	}
}

package cli

import (
	"encoding/json"
	"io"

	"github.com/latchapp/latch/internal/app/latchapp"
)

// field makes text that came from outside (a provider, a metadata key, a
// name) safe to print as one field: every control and format character,
// newlines included, is shown escaped (see [latchapp.Printable]).
func field(s string) string { return latchapp.Printable(s) }

// safeWriter is the command line's stdout and stderr: whatever is written,
// control and format characters other than newlines and tabs reach the
// terminal escaped.
type safeWriter struct{ w io.Writer }

func (s safeWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, latchapp.PrintableLines(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// printJSON writes v to w as the --json outputs are written: indented by
// two spaces, one value and a newline.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

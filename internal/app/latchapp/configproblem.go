package latchapp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// fileError is a problem at a line of the config file: what
// [LoadConfig] makes a [*ConfigError] with File and Line.
type fileError struct {
	file string
	line int // 0 when it is not known
	err  error
}

func (e *fileError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("config file %s, line %d: %v", displayFile(e.file), e.line, e.err)
	}
	return fmt.Sprintf("config file %s: %v", displayFile(e.file), e.err)
}

func (e *fileError) Unwrap() error { return e.err }

// asConfigError words err, a configuration that cannot be used, as a
// [*ConfigError], with the file and line it names.
func asConfigError(err error) *ConfigError {
	ce := &ConfigError{Msg: err.Error()}
	var fe *fileError
	if errors.As(err, &fe) {
		ce.File, ce.Line = fe.file, fe.line
	}
	return ce
}

// parseLine is the line of a TOML syntax error, or 0.
func parseLine(err error) int {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return pe.Position.Line
	}
	return 0
}

// keyLine is the line of text on which key is set, or 0 when it cannot
// be told (a key set in an inline table, say): the line in key's table
// (its [header], or the top level) that starts with its last part.
func keyLine(text string, key toml.Key) int {
	if len(key) == 0 {
		return 0
	}
	table, last := strings.Join(key[:len(key)-1], "."), key[len(key)-1]
	current := ""
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if h, ok := tableHeader(line); ok {
			current = h
			continue
		}
		name, _, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		name = strings.Trim(strings.TrimSpace(name), `"'`)
		if current == table && name == last || current == "" && name == key.String() {
			return i + 1
		}
	}
	return 0
}

// unknownKey says that key is not one Latch knows, with the known key it
// most resembles, if one is close.
func unknownKey(key toml.Key) error {
	last := key[len(key)-1]
	if near := nearestKey(last); near != "" {
		return fmt.Errorf("unknown key %q: did you mean %q?", key.String(), near)
	}
	return fmt.Errorf("unknown key %q (known: %s)", key.String(), knownKeys())
}

// nearestKey is the known key at most two edits from key, or "".
func nearestKey(key string) string {
	best, bestDist := "", 3
	for _, k := range knownKeyList() {
		if d := editDistance(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

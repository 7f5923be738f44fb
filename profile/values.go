package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kind is the type of a user_metadata value as a person edits it.
type Kind string

// The kinds a value can have.
const (
	KindText   Kind = "Text"
	KindNumber Kind = "Number"
	KindBool   Kind = "True/False"
	KindJSON   Kind = "JSON"
)

// Kinds lists every [Kind], in the order an editor offers them.
var Kinds = []Kind{KindText, KindNumber, KindBool, KindJSON}

// FormatValue gives the kind and the text of a value as decoded from JSON.
func FormatValue(v any) (Kind, string) {
	switch t := v.(type) {
	case string:
		return KindText, t
	case float64:
		return KindNumber, strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return KindBool, strconv.FormatBool(t)
	}
	b, _ := json.Marshal(v)
	return KindJSON, string(b)
}

// ParseValue reads text as a value of kind, the inverse of
// [FormatValue]. JSON is an object or an array: single values have kinds
// of their own. The error says, in a few words, what is wrong.
func ParseValue(kind Kind, text string) (any, error) {
	switch kind {
	case KindText:
		return text, nil
	case KindNumber:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			return nil, errors.New("not a number")
		}
		return f, nil
	case KindBool:
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, errors.New("write true or false")
	case KindJSON:
		var v any
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			return nil, fmt.Errorf("not valid JSON: %v", err)
		}
		switch v.(type) {
		case map[string]any, []any:
		default:
			return nil, errors.New("JSON here is an object {…} or an array […]; use another type for single values")
		}
		return v, nil
	}
	return nil, errors.New("choose a type")
}

// ParseArgument reads a value given on a command line: JSON when it
// parses as JSON (42, true, {"a":1}, "quoted text"), else the text. null
// is nil, which deletes the key in a Patch, as in Auth0's PATCH; the
// string "null" is written "\"null\"".
func ParseArgument(text string) any {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return text
	}
	return v
}

// Entry is one root key of user_metadata as a person typed it.
type Entry struct {
	Key  string
	Kind Kind
	Text string
}

// ReadEntries checks entries and reads them into metadata. problems has
// one sentence per entry ("" when it is fine); first is the first problem,
// or one about the whole (its size), "" when the metadata can be saved.
func ReadEntries(entries []Entry) (md map[string]any, problems []string, first string) {
	md = map[string]any{}
	problems = make([]string, len(entries))
	seen := map[string]bool{}
	for i, e := range entries {
		msg := ""
		if err := CheckKey(e.Key); err != nil {
			if e.Key == "" {
				msg = "The key name is empty."
			} else {
				msg = fmt.Sprintf("Key %q: names must not contain '.' or '$'.", e.Key)
			}
		} else if seen[e.Key] {
			msg = fmt.Sprintf("Key %q appears twice.", e.Key)
		}
		seen[e.Key] = true
		if msg == "" {
			v, err := ParseValue(e.Kind, e.Text)
			var keyErr *KeyError
			switch {
			case err != nil:
				msg = fmt.Sprintf("Value of %q: %v.", e.Key, err)
			case errors.As(CheckValue(v), &keyErr) && keyErr.Key == "":
				msg = fmt.Sprintf("Value of %q: a key name inside it is empty.", e.Key)
			case keyErr != nil:
				msg = fmt.Sprintf("Value of %q: the key %q inside it must not contain '.' or '$'.", e.Key, keyErr.Key)
			default:
				md[e.Key] = v
			}
		}
		problems[i] = msg
		if first == "" {
			first = msg
		}
	}
	if first != "" {
		return nil, problems, first
	}
	if b, _ := json.Marshal(md); len(b) > MaxMetadataBytes {
		return nil, problems, fmt.Sprintf("The metadata is %d bytes; the limit is %d.", len(b), MaxMetadataBytes)
	}
	return md, problems, ""
}

// Diff is the smallest PATCH from before to after: changed or new root
// keys with their values, removed ones with nil.
func Diff(before, after map[string]any) map[string]any {
	changes := map[string]any{}
	for k, v := range after {
		if old, ok := before[k]; !ok || !Equal(old, v) {
			changes[k] = v
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			changes[k] = nil
		}
	}
	return changes
}

// Equal reports whether a and b encode to the same JSON.
func Equal(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

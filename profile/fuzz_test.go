package profile_test

import (
	"encoding/json"
	"testing"

	"github.com/latchapp/latch/profile"
)

// FuzzParseValue reads any text as each kind: nothing panics, and a value
// that parses formats back to its kind and to the same value.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"42", "-0.5e3", "true", " FALSE ", `{"a":[1,{"b":null}]}`, "[1,2]", "null", "\x00", "1e999", `"q"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, kind := range profile.Kinds {
			v, err := profile.ParseValue(kind, text)
			if err != nil {
				continue
			}
			k, again := profile.FormatValue(v)
			back, err := profile.ParseValue(k, again)
			if err != nil || !profile.Equal(back, v) {
				t.Fatalf("%s %q parsed to %#v, formatted as %s %q, which parses to %#v, %v; want the same value", kind, text, v, k, again, back, err)
			}
		}
	})
}

// FuzzDiff computes the PATCH between any two metadata objects: sending
// it to the first as Auth0 merges it gives the second.
func FuzzDiff(f *testing.F) {
	f.Add(`{"a":1,"b":{"c":2}}`, `{"a":2,"d":[1]}`)
	f.Add(`{}`, `{"x":null}`)
	f.Add(`{"k":"v"}`, `{}`)
	f.Fuzz(func(t *testing.T, before, after string) {
		var b, a map[string]any
		if json.Unmarshal([]byte(before), &b) != nil || json.Unmarshal([]byte(after), &a) != nil || b == nil || a == nil {
			return
		}
		for k, v := range a {
			if v == nil {
				delete(a, k) // null deletes a key: it is no value to reach
			}
		}
		merged := map[string]any{}
		for k, v := range b {
			merged[k] = v
		}
		for k, v := range profile.Diff(b, a) {
			if v == nil {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		if !profile.Equal(merged, a) {
			t.Fatalf("patching %s with the diff gave %v, want %s", before, merged, after)
		}
	})
}

// FuzzReadEntries checks any key and text: an entry accepted has a key
// that Auth0's rules allow.
func FuzzReadEntries(f *testing.F) {
	f.Add("theme", "dark")
	f.Add("a.b", "1")
	f.Add("$x", "{")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, key, text string) {
		for _, kind := range profile.Kinds {
			md, _, first := profile.ReadEntries([]profile.Entry{{Key: key, Kind: kind, Text: text}})
			if first == "" && profile.CheckKey(key) != nil {
				t.Fatalf("key %q accepted, want it refused", key)
			}
			if first == "" && len(md) != 1 {
				t.Fatalf("entry %q=%q accepted as %v, want one key", key, text, md)
			}
		}
	})
}

package profile_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/latchapp/latch/profile"
)

func TestParseAndFormatValues(t *testing.T) {
	for _, tc := range []struct {
		kind    profile.Kind
		text    string
		want    any
		problem string
	}{
		{profile.KindText, " hi ", " hi ", ""},
		{profile.KindNumber, " 42.5 ", 42.5, ""},
		{profile.KindNumber, "4x", nil, "not a number"},
		{profile.KindBool, "TRUE", true, ""},
		{profile.KindBool, "false", false, ""},
		{profile.KindBool, "yes", nil, "write true or false"},
		{profile.KindJSON, `{"a":[1]}`, map[string]any{"a": []any{1.0}}, ""},
		{profile.KindJSON, `[1,"b"]`, []any{1.0, "b"}, ""},
		{profile.KindJSON, `42`, nil, "use another type"},
		{profile.KindJSON, `{`, nil, "not valid JSON"},
		{profile.Kind("?"), "x", nil, "choose a type"},
	} {
		got, err := profile.ParseValue(tc.kind, tc.text)
		switch {
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
			t.Errorf("ParseValue(%s, %q) = %v, %v; want an error saying %q", tc.kind, tc.text, got, err, tc.problem)
		case tc.problem == "" && (err != nil || !reflect.DeepEqual(got, tc.want)):
			t.Errorf("ParseValue(%s, %q) = %#v, %v; want %#v", tc.kind, tc.text, got, err, tc.want)
		}
		if tc.problem != "" || tc.kind == profile.KindText {
			continue
		}
		// Formatting gives back the kind, and the text parses to the same.
		kind, text := profile.FormatValue(got)
		again, err := profile.ParseValue(kind, text)
		if kind != tc.kind || err != nil || !profile.Equal(again, got) {
			t.Errorf("FormatValue(%#v) = %s %q, which parses to %#v, %v; want the same value back", got, kind, text, again, err)
		}
	}
}

func TestParseArgument(t *testing.T) {
	for text, want := range map[string]any{
		"42": 42.0, "true": true, `{"a":1}`: map[string]any{"a": 1.0}, "hello": "hello", "null": nil, `"null"`: "null", `"q"`: "q",
	} {
		if got := profile.ParseArgument(text); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseArgument(%q) = %#v, want %#v", text, got, want)
		}
	}
}

func TestDiffIsTheSmallestPatch(t *testing.T) {
	before := map[string]any{"keep": "x", "change": 1.0, "drop": true, "nested": map[string]any{"a": 1.0}}
	after := map[string]any{"keep": "x", "change": 2.0, "add": "new", "nested": map[string]any{"a": 1.0}}
	want := map[string]any{"change": 2.0, "add": "new", "drop": nil}
	if got := profile.Diff(before, after); !reflect.DeepEqual(got, want) {
		t.Fatalf("Diff = %#v, want %#v", got, want)
	}
	if got := profile.Diff(before, before); len(got) != 0 {
		t.Fatalf("Diff of equal metadata = %#v, want nothing", got)
	}
}

func TestReadEntries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []profile.Entry
		want    map[string]any
		first   string
	}{
		{"good", []profile.Entry{{"a", profile.KindText, "x"}, {"n", profile.KindNumber, "3"}}, map[string]any{"a": "x", "n": 3.0}, ""},
		{"empty key", []profile.Entry{{"", profile.KindText, "x"}}, nil, "The key name is empty."},
		{"dot", []profile.Entry{{"a.b", profile.KindText, "x"}}, nil, `Key "a.b": names must not contain '.' or '$'.`},
		{"dollar", []profile.Entry{{"$a", profile.KindText, "x"}}, nil, `Key "$a": names must not contain '.' or '$'.`},
		{"twice", []profile.Entry{{"a", profile.KindText, "x"}, {"a", profile.KindText, "y"}}, nil, `Key "a" appears twice.`},
		{"bad value", []profile.Entry{{"n", profile.KindNumber, "x"}}, nil, `Value of "n": not a number.`},
		{"dot inside", []profile.Entry{{"prefs", profile.KindJSON, `{"ui":{"a.b":1}}`}}, nil, `Value of "prefs": the key "a.b" inside it must not contain '.' or '$'.`},
		{"dollar in a list", []profile.Entry{{"prefs", profile.KindJSON, `[{"ok":1},{"$set":2}]`}}, nil, `Value of "prefs": the key "$set" inside it`},
		{"empty inside", []profile.Entry{{"prefs", profile.KindJSON, `{"":1}`}}, nil, `Value of "prefs": a key name inside it is empty.`},
		{"too big", []profile.Entry{{"big", profile.KindText, strings.Repeat("x", profile.MaxMetadataBytes)}}, nil, "the limit is 16384"},
	} {
		md, problems, first := profile.ReadEntries(tc.entries)
		if !strings.Contains(first, tc.first) || (tc.first == "") != (first == "") || !reflect.DeepEqual(md, tc.want) && tc.want != nil {
			t.Errorf("%s: got %#v, first problem %q; want %#v, %q", tc.name, md, first, tc.want, tc.first)
		}
		if len(problems) != len(tc.entries) {
			t.Errorf("%s: %d problems for %d entries, want one each", tc.name, len(problems), len(tc.entries))
		}
	}
}

func TestCheckValueLooksAtEveryDepth(t *testing.T) {
	for text, bad := range map[string]string{
		`{"a":{"b":{"c.d":1}}}`:   "c.d",
		`[1,[{"$x":true}]]`:       "$x",
		`{"a":[{"b":2}],"c":"."}`: "",
		`"just.a.string"`:         "",
	} {
		var v any
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			t.Fatal(err)
		}
		err := profile.CheckValue(v)
		var ke *profile.KeyError
		if bad == "" && err != nil || bad != "" && (!errors.As(err, &ke) || ke.Key != bad) {
			t.Errorf("CheckValue(%s) = %v; want the key %q refused", text, err, bad)
		}
	}
	// Patch refuses it before anything is sent.
	client := &profile.MetadataClient{BaseURL: "https://127.0.0.1:1/api/v2/", HTTP: http.DefaultClient}
	if _, err := client.Patch(context.Background(), "me", map[string]any{"prefs": map[string]any{"a.b": 1}}); !errors.Is(err, profile.ErrInvalidKey) {
		t.Errorf("Patch with a nested bad key gave %v; want ErrInvalidKey before any request", err)
	}
}

func TestCheckKey(t *testing.T) {
	for key, ok := range map[string]bool{"color": true, "a b": true, "": false, "a.b": false, "$set": false} {
		err := profile.CheckKey(key)
		var ke *profile.KeyError
		if ok != (err == nil) || !ok && (!errors.Is(err, profile.ErrInvalidKey) || !errors.As(err, &ke) || ke.Key != key) {
			t.Errorf("CheckKey(%q) = %v, want allowed: %t (a KeyError naming it otherwise)", key, err, ok)
		}
	}
}

package cli

import (
	"testing"

	"github.com/latchapp/latch/profile"
)

// FuzzParseChanges reads any KEY=VALUE argument: nothing panics, and a
// change accepted has a key that Auth0's rules allow.
func FuzzParseChanges(f *testing.F) {
	f.Add("set", "theme=dark")
	f.Add("set", `prefs={"a":1}`)
	f.Add("set", "a.b=1")
	f.Add("unset", "theme")
	f.Add("unset", "x=1")
	f.Add("set", "=")
	f.Fuzz(func(t *testing.T, verb, arg string) {
		if verb != "set" && verb != "unset" {
			return
		}
		changes, err := parseChanges(verb, []string{arg})
		if err != nil {
			return
		}
		for k := range changes {
			if profile.CheckKey(k) != nil {
				t.Fatalf("%s %q gave the key %q, want it refused", verb, arg, k)
			}
		}
	})
}

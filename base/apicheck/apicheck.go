// Package apicheck says whether an API declared for a named token can be
// used: the one rule that the session library applies when it is
// configured, and Latch's configuration when it is read, so that a wrong
// declaration is told where it was written.
package apicheck

import (
	"fmt"
	"net/url"
	"strings"
)

// Name reports whether name is made of a letter or digit, then up to
// max-1 letters, digits and the characters of extra: a name that is typed
// on command lines, printed in lists and kept in files. It needs no
// regular expression, which a command would compile at each start.
func Name(name string, max int, extra string) bool {
	if name == "" || len(name) > max {
		return false
	}
	for i, r := range name {
		alnum := r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		if !alnum && (i == 0 || !strings.ContainsRune(extra, r)) {
			return false
		}
	}
	return true
}

// Check says what is wrong with an API declared under name with
// audience, for a provider that names APIs with the request parameter
// param: "resource" (RFC 8707, where the audience must be an absolute URI
// without a fragment) or "audience" (Auth0's API identifiers).
func Check(name, audience, param string) error {
	// A named token's name: up to 64 letters, digits, '.', '_' and '-'.
	if !Name(name, 64, "._-") {
		return fmt.Errorf("the API name %q is not usable: use letters, digits, '.', '_' and '-'", name)
	}
	if audience == "" {
		return fmt.Errorf("the API %q has no audience", name)
	}
	if param == "resource" {
		u, err := url.Parse(audience)
		if err != nil || !u.IsAbs() || u.Fragment != "" {
			return fmt.Errorf("the audience %q of the API %q is not an absolute URI without a fragment, as a resource indicator must be", audience, name)
		}
	}
	return nil
}

// Package apicheck says whether an API declared for a named token can be
// used: the one rule that the session library applies when it is
// configured, and Latch's configuration when it is read, so that a wrong
// declaration is told where it was written.
package apicheck

import (
	"fmt"
	"net/url"
	"regexp"
)

// validName is what a named token may be called: it is typed on command
// lines and printed in lists.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Check says what is wrong with an API declared under name with
// audience, for a provider that names APIs with the request parameter
// param: "resource" (RFC 8707, where the audience must be an absolute URI
// without a fragment) or "audience" (Auth0's API identifiers).
func Check(name, audience, param string) error {
	if !validName.MatchString(name) {
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

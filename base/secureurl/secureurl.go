// Package secureurl says which addresses may carry a token or a secret:
// https, or plain http to this machine only; and which requests are for
// the same origin, the only place a token goes. The session library, the
// profile client and the configuration check all ask it, so that the
// rules are one.
package secureurl

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Secure reports whether u may carry tokens: https, or plain http to
// this machine only (a loopback IP literal, or exactly "localhost"). A
// host name that merely starts with "127." is not this machine.
func Secure(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	switch p.Scheme {
	case "https":
		return true
	case "http":
		return Loopback(p.Hostname())
	}
	return false
}

// Loopback reports whether host is this machine: a loopback IP literal,
// or exactly "localhost".
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Origin is u's origin (RFC 6454): scheme, host and port, in lower case,
// with the scheme's default port written out, so that two addresses of
// one origin give the same string.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// SameOrigin reports whether a and b are of one origin.
func SameOrigin(a, b *url.URL) bool { return Origin(a) == Origin(b) }

// CheckRedirect checks the address a sign-in's browser comes back to,
// when one is set: http on this machine (127.0.0.1, [::1] or localhost,
// which providers allow for native apps), with a port and a path. Its
// error is one sentence naming the address.
func CheckRedirect(address string) error {
	u, err := url.Parse(address)
	var problem string
	switch {
	case err != nil:
		problem = "is not a URL"
	case u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1" && u.Hostname() != "localhost"):
		problem = "must be http on this computer (127.0.0.1, [::1] or localhost): the browser hands the code to Latch there"
	case u.Port() == "" || u.Port() == "0":
		problem = "must name its port"
	case u.Path == "" || u.Path == "/" || u.RawQuery != "" || u.Fragment != "":
		problem = "must have a path, and no query or fragment"
	default:
		return nil
	}
	return fmt.Errorf("the redirect address %q %s", address, problem)
}

// Package secureurl says which addresses may carry a token or a secret:
// https, or plain http to this machine only. The session library, the
// profile client and the configuration check all ask it, so that the rule
// is one.
package secureurl

import (
	"net"
	"net/url"
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

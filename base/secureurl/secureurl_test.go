package secureurl

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestSecure(t *testing.T) {
	for u, want := range map[string]bool{
		"https://id.example.test":           true,
		"http://127.0.0.1:8642":             true,
		"http://127.1.2.3":                  true,
		"http://[::1]:8080/x":               true,
		"http://localhost:1":                true,
		"http://127.attacker.example":       false,
		"http://127.0.0.1.attacker.example": false,
		"http://localhost.attacker.example": false,
		"http://id.example.test":            false,
		"ftp://127.0.0.1":                   false,
		"not a url":                         false,
		"https://":                          false,
	} {
		if got := Secure(u); got != want {
			t.Errorf("Secure(%q) = %t, want %t", u, got, want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://api.example.test/a", "https://API.example.test:443/b?c", true},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/x", true},
		{"http://127.0.0.1/", "http://127.0.0.1:80/", true},
		{"http://[::1]:8080/", "http://[::1]:8080/x", true},
		{"https://api.example.test/", "http://api.example.test/", false},
		{"https://api.example.test/", "https://api.example.test:8443/", false},
		{"http://127.0.0.1:8080/", "http://127.0.0.2:8080/", false},
		{"https://api.example.test/", "https://api.example.test.evil/", false},
	} {
		a, _ := url.Parse(c.a)
		b, _ := url.Parse(c.b)
		if got := SameOrigin(a, b); got != c.same {
			t.Errorf("SameOrigin(%s, %s) = %t, want %t", c.a, c.b, got, c.same)
		}
	}
}

func TestCheckRedirect(t *testing.T) {
	for _, c := range []struct {
		address string
		want    string // in the error; "" for none
	}{
		{"http://127.0.0.1:8400/callback", ""},
		{"http://[::1]:8400/cb", ""},
		{"http://localhost:8400/cb", ""},
		{"https://127.0.0.1:8400/cb", "must be http on this computer"},
		{"http://example.com:80/cb", "must be http on this computer"},
		{"http://127.0.0.2:80/cb", "must be http on this computer"},
		{"http://127.0.0.1/cb", "must name its port"},
		{"http://127.0.0.1:0/cb", "must name its port"},
		{"http://127.0.0.1:8400", "must have a path"},
		{"http://127.0.0.1:8400/cb?x=1", "must have a path, and no query or fragment"},
		{"http://127.0.0.1:abc/cb", "is not a URL"},
	} {
		err := CheckRedirect(c.address)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckRedirect(%q) = %v; want nil", c.address, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), strconv.Quote(c.address))):
			t.Errorf("CheckRedirect(%q) = %v; want an error naming it and saying %q", c.address, err, c.want)
		}
	}
}

package secureurl

import "testing"

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

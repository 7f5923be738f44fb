package dpopcheck

import (
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzVerify sends Verify any DPoP header, as any local program or web
// page can send the sandbox: it must refuse what is not a valid proof,
// never panic, and accept nothing without a signature.
func FuzzVerify(f *testing.F) {
	f.Add(`eyJhbGciOiJub25lIiwidHlwIjoiZHBvcCtqd3QifQ.eyJodG0iOiJQT1NUIn0.`)
	f.Add(`eyJhbGciOiJFUzI1NiIsInR5cCI6ImRwb3Arand0IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoiIiwieSI6IiJ9fQ.e30.AAAA`)
	f.Add(`a.b.c`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, proof string) {
		r := httptest.NewRequest("POST", "http://127.0.0.1/oauth/token", nil)
		r.Header.Set("DPoP", proof)
		p, err := Verify(r, "http://127.0.0.1/oauth/token", "", time.Now())
		if err == nil && (p == nil || p.Thumbprint == "" || p.JTI == "") {
			t.Fatalf("accepted %q without a thumbprint or jti", proof)
		}
	})
}

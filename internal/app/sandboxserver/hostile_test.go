package sandboxserver_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// TestHostilePagesAreRefused plays a web page in the person's browser
// that tries to drive the sandbox on their machine.
func TestHostilePagesAreRefused(t *testing.T) {
	srv := start(t, "")
	do := func(method, path string, header map[string]string, form url.Values) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, srv.Issuer()+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range header {
			if k == "Host" {
				req.Host = v
				continue
			}
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	evil := map[string]string{"Origin": "https://evil.example"}

	// DNS rebinding: the page's own name, pointed at 127.0.0.1.
	if resp, _ := do(http.MethodGet, "/.well-known/openid-configuration", map[string]string{"Host": "evil.example"}, nil); resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("a request for another host got %d, want 421", resp.StatusCode)
	}
	// A cross-site device sign-in and token request.
	if resp, _ := do(http.MethodPost, "/device", evil, url.Values{"user_code": {"X"}, "username": {"demo"}, "password": {"demo"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site POST /device got %d, want 403", resp.StatusCode)
	}
	if resp, _ := do(http.MethodPost, "/oauth/token", evil, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"x"}, "client_id": {sandboxserver.ClientID}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site token request got %d, want 403", resp.StatusCode)
	}
	// CORS: the page may not read the provider's answers.
	resp, _ := do(http.MethodGet, "/.well-known/openid-configuration", evil, nil)
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" && got != srv.Issuer() {
		t.Errorf("discovery allows the origin %q, want the sandbox's own only", got)
	}
	resp, _ = do(http.MethodOptions, "/oauth/token", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, nil)
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got == "https://evil.example" || got == "*" {
		t.Errorf("the token endpoint's preflight allows %q, want no other origin", got)
	}
	// A form posted without the page's CSRF token, even from no origin.
	b := testbrowser.NewBrowser("", "")
	r, err := b.Client.Get(srv.Issuer() + "/device")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	r, err = b.Client.PostForm(srv.Issuer()+"/device/deny", url.Values{"user_code": {"ABCD"}})
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("a form without its CSRF token got %d, want 403", r.StatusCode)
	}
}

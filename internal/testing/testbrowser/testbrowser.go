// Package testbrowser plays the person at the browser in tests: a
// cookie-jar HTTP client that follows authorization URLs, fills in sign-in
// forms and follows the redirects into Latch's loopback listener.
package testbrowser

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Browser is a person with a browser: a cookie-jar HTTP client that fills
// in the forms it meets.
type Browser struct {
	Client   *http.Client
	Username string
	Password string
	// Pages records the last page the browser ended on.
	mu       sync.Mutex
	lastBody string
	lastCode int
	err      error
	done     chan struct{}
	// signInForms counts the sign-in forms filled in.
	signInForms int
}

// NewBrowser returns a browser that signs in as username with password.
func NewBrowser(username, password string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{
		Client:   &http.Client{Jar: jar, Timeout: 30 * time.Second},
		Username: username,
		Password: password,
		done:     make(chan struct{}),
	}
}

// OpenURL is a session.BrowserLogin.OpenURL: it visits u on its own
// goroutine, as a browser would, and signs in on the forms it finds. A
// browser keeps its cookies from one OpenURL to the next, as a person's
// does; [Browser.Result] waits for the last.
func (b *Browser) OpenURL(_ context.Context, u string) error {
	done := make(chan struct{})
	b.mu.Lock()
	b.done = done
	b.mu.Unlock()
	go func() {
		code, body, err := b.Visit(u)
		b.mu.Lock()
		b.lastCode, b.lastBody, b.err = code, body, err
		b.mu.Unlock()
		close(done)
	}()
	return nil
}

// SignInForms is how many sign-in forms the browser filled in: a provider
// that kept its session in the browser signs the person in again with
// none.
func (b *Browser) SignInForms() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.signInForms
}

// Result waits for the visit started by OpenURL and returns the status and
// body of the page it ended on.
func (b *Browser) Result(t testing.TB) (int, string) {
	t.Helper()
	b.mu.Lock()
	done := b.done
	b.mu.Unlock()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the browser did not finish")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		t.Fatalf("browser: %v", b.err)
	}
	return b.lastCode, b.lastBody
}

var (
	formRe  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	attrRe  = regexp.MustCompile(`(?is)\b(action|method|name|value|type)\s*=\s*"([^"]*)"`)
	inputRe = regexp.MustCompile(`(?is)<(?:input|button)\b[^>]*>`)
)

// Visit GETs u and answers every form on the way: sign-in forms with the
// username and password, confirmation forms as they are. It returns the
// last page.
func (b *Browser) Visit(u string) (int, string, error) {
	resp, err := b.Client.Get(u)
	if err != nil {
		return 0, "", err
	}
	for range 10 {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		form := formRe.FindSubmatch(body)
		if form == nil {
			return resp.StatusCode, string(body), nil
		}
		action, method, values := parseForm(form[1], form[2])
		if !strings.EqualFold(method, "post") {
			return resp.StatusCode, string(body), nil
		}
		_, username := values["username"]
		_, login := values["login"]
		if username {
			values.Set("username", b.Username)
		}
		if login && values.Has("password") {
			values.Set("login", b.Username) // Dex's form
		}
		if username || (login && values.Has("password")) {
			values.Set("password", b.Password)
			b.mu.Lock()
			b.signInForms++
			b.mu.Unlock()
		}
		target, err := resp.Request.URL.Parse(action)
		if err != nil {
			return 0, "", err
		}
		resp, err = b.Client.PostForm(target.String(), values)
		if err != nil {
			return 0, "", err
		}
	}
	return 0, "", fmt.Errorf("too many forms")
}

func parseForm(attrs, inner []byte) (action, method string, values url.Values) {
	for _, a := range attrRe.FindAllSubmatch(attrs, -1) {
		switch strings.ToLower(string(a[1])) {
		case "action":
			action = html.UnescapeString(string(a[2]))
		case "method":
			method = string(a[2])
		}
	}
	values = url.Values{}
	for _, in := range inputRe.FindAll(inner, -1) {
		var name, value, typ string
		for _, a := range attrRe.FindAllSubmatch(in, -1) {
			switch strings.ToLower(string(a[1])) {
			case "name":
				name = string(a[2])
			case "value":
				value = html.UnescapeString(string(a[2]))
			case "type":
				typ = strings.ToLower(string(a[2]))
			}
		}
		if name == "" || (typ == "submit" && name == "abort") {
			continue
		}
		values.Set(name, value)
	}
	return action, method, values
}

// SignInAtPrintedURL reads the sign-in URL that `latch login --no-browser`
// prints as its first line on out, signs in there as username, and then
// reads out to its end (the command's other output is not looked at).
func SignInAtPrintedURL(t testing.TB, out io.Reader, username, password string) {
	t.Helper()
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatalf("no sign-in URL was printed (%v)", sc.Err())
	}
	if code, body, err := NewBrowser(username, password).Visit(sc.Text()); err != nil || code != http.StatusOK {
		t.Fatalf("signing in at the printed URL ended on %d, %v: %s", code, err, body)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
}

// FormValue is the value of the first input named name in an HTML page,
// "" when there is none.
func FormValue(page, name string) string {
	for _, in := range inputRe.FindAllString(page, -1) {
		var n, v string
		for _, a := range attrRe.FindAllStringSubmatch(in, -1) {
			switch strings.ToLower(a[1]) {
			case "name":
				n = a[2]
			case "value":
				v = html.UnescapeString(a[2])
			}
		}
		if n == name {
			return v
		}
	}
	return ""
}

package sandboxserver

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// The sandbox's pages are plain HTML forms: they work in any browser and in
// any HTTP client that posts forms. The sign-in form's fields are
// "username" and "password".
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Parse(pagesText))
})

const pagesText = `
{{define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Latch sandbox</title>
<style>
body{font-family:system-ui,sans-serif;max-width:26em;margin:3em auto;padding:0 1em;color:#222}
h1{font-weight:500}label{display:block;margin:.8em 0 .2em}input[type=text],input[type=password]{width:100%;padding:.5em;box-sizing:border-box}
button{margin-top:1em;padding:.5em 1.2em}.error{color:#b00020}.note{color:#555;font-size:.9em}code{font-size:1.1em}
table{border-collapse:collapse}td{padding:.1em .8em .1em 0}
</style></head><body><h1>{{.Title}}</h1>{{end}}

{{define "accounts"}}<p class="note">Demo accounts of this local sandbox:</p>
<table class="note">{{range .Accounts}}<tr><td><code>{{.Username}}</code></td><td>password <code>{{.Password}}</code></td><td>{{.Name}}</td></tr>{{end}}</table>{{end}}

{{define "login"}}{{template "head" .}}
<p>Sign in to continue to <strong>Latch</strong>.</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="id" value="{{.ID}}">
<label for="username">Username</label><input type="text" id="username" name="username" value="{{.Username}}" autocomplete="username" autofocus required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="{{.CancelAction}}"><input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="id" value="{{.ID}}"><button type="submit">Cancel</button></form>
{{template "accounts" .}}
</body></html>{{end}}

{{define "device-code"}}{{template "head" .}}
<p>Enter the code shown on your device.</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="get" action="{{.Action}}">
<label for="user_code">Code</label><input type="text" id="user_code" name="user_code" autofocus required>
<button type="submit">Continue</button>
</form>
</body></html>{{end}}

{{define "device-login"}}{{template "head" .}}
<p>Sign in to let the device showing <code>{{.UserCode}}</code> use your Latch account.</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="user_code" value="{{.UserCode}}">
<label for="username">Username</label><input type="text" id="username" name="username" value="{{.Username}}" autocomplete="username" autofocus required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in and allow</button>
</form>
<form method="post" action="{{.DenyAction}}"><input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="user_code" value="{{.UserCode}}"><button type="submit">Deny</button></form>
{{template "accounts" .}}
</body></html>{{end}}

{{define "message"}}{{template "head" .}}<p>{{.Message}}</p></body></html>{{end}}

{{define "end-session"}}{{template "head" .}}
<p>Sign out of the Latch sandbox? Every session of this account here ends.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}
<button type="submit">Sign out</button>
</form>
</body></html>{{end}}
`

type pageData struct {
	Title, Error, Message            string
	Action, CancelAction, DenyAction string
	ID, Username, UserCode           string
	CSRF                             string
	Fields                           []field
	Accounts                         []Account
}

// field is a hidden form field.
type field struct{ Name, Value string }

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	d.CSRF = csrfToken(w, r)
	for _, n := range accountNames() {
		d.Accounts = append(d.Accounts, Accounts[n])
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = pages().ExecuteTemplate(w, name, d)
}

// wrongPassword is what a failed sign-in says.
const wrongPassword = "Wrong username or password."

// signInForm shows the sign-in form page (on GET) or checks the posted
// username and password, showing the form again with the reason when they
// are wrong. It returns the username once the password is right.
func (s *Server) signInForm(w http.ResponseWriter, r *http.Request, page string, d pageData) (string, bool) {
	if r.Method != http.MethodPost {
		s.render(w, r, http.StatusOK, page, d)
		return "", false
	}
	if !checkCSRF(w, r) {
		return "", false
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	if _, ok := checkPassword(username, r.PostFormValue("password")); !ok {
		d.Error, d.Username = wrongPassword, username
		s.render(w, r, http.StatusUnauthorized, page, d)
		return "", false
	}
	return username, true
}

// onLogin serves the sign-in page of an authorization request, or signs
// the browser's person in at once (see browserSessions).
func (s *Server) onLogin(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("id")
	if _, err := s.storage.AuthRequestByID(r.Context(), id); err != nil {
		s.render(w, r, http.StatusBadRequest, "message", pageData{Title: "Sign-in expired", Message: "This sign-in has expired. Start again from Latch."})
		return
	}
	form, hint := s.storage.signInAsks(id)
	username := s.browsers.signedIn(r)
	if r.Method != http.MethodGet || form || username == "" || (hint != "" && hint != username) {
		var ok bool
		username, ok = s.signInForm(w, r, "login", pageData{Title: "Sign in", Action: "/login", CancelAction: "/login/cancel", ID: id, Username: hint})
		if !ok {
			return
		}
		s.browsers.start(w, r, username)
	}
	if err := s.storage.completeLogin(id, username); err != nil {
		s.render(w, r, http.StatusBadRequest, "message", pageData{Title: "Sign-in expired", Message: err.Error()})
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(s.provider)(r.Context(), id), http.StatusFound)
}

// onLoginCancel ends an authorization request with access_denied.
func (s *Server) onLoginCancel(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !checkCSRF(w, r) {
		return
	}
	id := r.PostFormValue("id")
	req, err := s.storage.AuthRequestByID(r.Context(), id)
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "message", pageData{Title: "Sign-in expired", Message: "This sign-in has expired."})
		return
	}
	_ = s.storage.DeleteAuthRequest(r.Context(), id)
	target, err := url.Parse(req.GetRedirectURI())
	if err != nil {
		http.Error(w, "bad redirect", http.StatusBadRequest)
		return
	}
	q := target.Query()
	q.Set("error", "access_denied")
	q.Set("error_description", "The sign-in was cancelled")
	q.Set("state", req.GetState())
	q.Set("iss", s.Issuer())
	target.RawQuery = q.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// onDevice serves the device verification page: the code, then sign-in.
func (s *Server) onDevice(w http.ResponseWriter, r *http.Request) {
	code := strings.ToUpper(strings.TrimSpace(r.FormValue("user_code")))
	if code == "" {
		s.render(w, r, http.StatusOK, "device-code", pageData{Title: "Device sign-in", Action: "/device"})
		return
	}
	if _, ok := s.storage.deviceByUserCode(code); !ok {
		s.render(w, r, http.StatusBadRequest, "device-code", pageData{Title: "Device sign-in", Action: "/device",
			Error: "This code is unknown or has expired. Check it and try again."})
		return
	}
	username, ok := s.signInForm(w, r, "device-login", pageData{Title: "Device sign-in", Action: "/device", DenyAction: "/device/deny", UserCode: code})
	if !ok {
		return
	}
	if err := s.storage.completeDevice(code, username, true); err != nil {
		s.render(w, r, http.StatusBadRequest, "message", pageData{Title: "Device sign-in", Message: err.Error()})
		return
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Device signed in", Message: "Your device is signed in. You can close this window."})
}

// onDeviceDeny refuses a device authorization.
func (s *Server) onDeviceDeny(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !checkCSRF(w, r) {
		return
	}
	code := strings.ToUpper(strings.TrimSpace(r.PostFormValue("user_code")))
	if err := s.storage.completeDevice(code, "", false); err != nil {
		s.render(w, r, http.StatusBadRequest, "message", pageData{Title: "Device sign-in", Message: err.Error()})
		return
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Device sign-in", Message: "The device was not allowed. You can close this window."})
}

// onEndSession asks before it signs out: a sign-out ends the browser's
// session, so a link on a web page must not do it alone. The form
// posts the request's parameters back, with the CSRF token.
func (s *Server) onEndSession(w http.ResponseWriter, r *http.Request) {
	var fields []field
	for name, values := range r.URL.Query() {
		for _, v := range values {
			fields = append(fields, field{Name: name, Value: v})
		}
	}
	s.render(w, r, http.StatusOK, "end-session", pageData{Title: "Sign out", Action: endSessionPath, Fields: fields})
}

// endSessionPath is where zitadel's op serves end-session.
const endSessionPath = "/end_session"

// confirmedEndSession passes a confirmed sign-out on to the provider.
func (s *Server) confirmedEndSession(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !checkCSRF(w, r) {
			return
		}
		s.browsers.end(w, r)
		next.ServeHTTP(w, r)
	}
}

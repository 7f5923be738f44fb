package session

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestEveryAnswerIsClassed lists the answers a token endpoint gives, and
// what each means for the session: transient (retried, credentials kept),
// the end of the session (credentials removed), or a refused client
// (credentials kept, not retried).
func TestEveryAnswerIsClassed(t *testing.T) {
	type class int
	const (
		transient class = iota
		malformed
		ends
		rejected
	)
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		header      [2]string
		body        string
		want        class
		retryAfter  time.Duration
	}{
		{name: "500", status: 500, want: transient},
		{name: "502 from a proxy, as HTML", status: 502, contentType: "text/html", body: "<h1>Bad gateway</h1>", want: transient},
		{name: "503", status: 503, body: `{"error":"server_error"}`, want: transient},
		{name: "429 with Retry-After in seconds", status: 429, header: [2]string{"Retry-After", "7"}, want: transient, retryAfter: 7 * time.Second},
		{name: "429 with Retry-After as a date", status: 429, header: [2]string{"Retry-After", "date+1m"}, want: transient, retryAfter: time.Minute},
		{name: "Retry-After beyond the ceiling", status: 503, header: [2]string{"Retry-After", "86400"}, want: transient, retryAfter: maxRetryAfter},
		{name: "temporarily_unavailable", status: 400, body: `{"error":"temporarily_unavailable"}`, want: transient},
		{name: "200 with malformed JSON", status: 200, body: `{"access_token":`, want: malformed},
		{name: "200 with a captive portal's page", status: 200, contentType: "text/html", body: "<html>Log in to the Wi-Fi</html>", want: malformed},
		{name: "200 without an access token", status: 200, body: `{"token_type":"Bearer"}`, want: malformed},
		{name: "403 with a portal's page", status: 403, contentType: "text/html", body: "<html>blocked</html>", want: malformed},
		{name: "invalid_grant", status: 400, body: `{"error":"invalid_grant","error_description":"grant request is invalid"}`, want: ends},
		{name: "invalid_grant after reuse", status: 400, body: `{"error":"invalid_grant","error_description":"refresh token reuse detected"}`, want: ends},
		{name: "Dex: refresh token expired", status: 400, body: `{"error":"invalid_request","error_description":"Refresh token expired."}`, want: ends},
		{name: "Dex: refresh token claimed", status: 400, body: `{"error":"invalid_request","error_description":"Refresh token has already been claimed by another client."}`, want: ends},
		{name: "inactivity", status: 400, body: `{"error":"invalid_grant","error_description":"session expired after inactivity"}`, want: ends},
		{name: "revoked", status: 400, body: `{"error":"invalid_grant","error_description":"token revoked"}`, want: ends},
		{name: "invalid_request of another kind", status: 400, body: `{"error":"invalid_request","error_description":"missing client_id"}`, want: rejected},
		{name: "invalid_client", status: 401, body: `{"error":"invalid_client"}`, want: rejected},
		{name: "unauthorized_client", status: 400, body: `{"error":"unauthorized_client"}`, want: rejected},
		{name: "invalid_scope", status: 400, body: `{"error":"invalid_scope"}`, want: rejected},
	} {
		op := newFakeOP(t)
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				op.script(func(w http.ResponseWriter, _ *http.Request) bool {
					ct := tc.contentType
					if ct == "" {
						ct = "application/json"
					}
					w.Header().Set("Content-Type", ct)
					if v, ok := strings.CutPrefix(tc.header[1], "date+"); ok {
						// An HTTP date, made on the bubble's clock.
						d, _ := time.ParseDuration(v)
						w.Header().Set(tc.header[0], time.Now().Add(d).UTC().Format(http.TimeFormat))
					} else if tc.header[0] != "" {
						w.Header().Set(tc.header[0], tc.header[1])
					}
					w.WriteHeader(tc.status)
					_, _ = w.Write([]byte(tc.body))
					return true
				})
				store := &memStore{}
				m, _ := op.signedIn(t, store, time.Minute, manual, op.direct)
				_, err := m.Renew(t.Context())
				got := map[string]bool{
					"ends the session":   errors.Is(err, ErrSignInRequired),
					"transient":          errors.Is(err, ErrProviderUnreachable),
					"malformed":          errors.Is(err, ErrMalformedAnswer),
					"rejects the client": errors.Is(err, ErrClientRejected),
				}
				want := map[string]bool{
					"ends the session":   tc.want == ends,
					"transient":          tc.want == transient || tc.want == malformed,
					"malformed":          tc.want == malformed,
					"rejects the client": tc.want == rejected,
				}
				for k := range want {
					if got[k] != want[k] {
						t.Errorf("%v: %s is %t, want %t", err, k, got[k], want[k])
					}
				}
				var pe *ProviderError
				if errors.As(err, &pe) {
					if d := pe.RetryAfter - tc.retryAfter; d < -time.Second || d > time.Second {
						t.Errorf("Retry-After read as %v, want %v", pe.RetryAfter, tc.retryAfter)
					}
				}
				_, serr := store.Get(t.Context(), "creds")
				if kept := serr == nil; kept != (tc.want != ends) {
					t.Errorf("stored credentials kept: %t, want %t", kept, tc.want != ends)
				}
			})
		})
	}
}

func TestOnlyBearerTokensAreAccepted(t *testing.T) {
	for _, typ := range []string{"Basic", "N_A", "MAC"} {
		op := newFakeOP(t)
		op.script(answer(http.StatusOK, `{"access_token":"a","token_type":"`+typ+`","expires_in":60,"refresh_token":"r"}`))
		store := &memStore{}
		m, _ := op.signedIn(t, store, time.Minute, manual)
		if _, err := m.Renew(t.Context()); !errors.Is(err, ErrClientRejected) {
			t.Errorf("token_type %q gave %v, want ErrClientRejected", typ, err)
		}
		if storedRefreshToken(t, store) != "refresh-0" {
			t.Errorf("token_type %q: the stored credentials changed, want them kept", typ)
		}
	}
	op := newFakeOP(t)
	op.script(answer(http.StatusOK, `{"access_token":"a","token_type":"bEaReR","expires_in":60,"refresh_token":"r"}`))
	m, _ := op.signedIn(t, &memStore{}, time.Minute, manual)
	if _, err := m.Renew(t.Context()); err != nil {
		t.Fatalf("token_type bEaReR gave %v; want it accepted", err)
	}
	if h, err := m.Header(t.Context(), "GET", "https://api.test/"); err != nil || h.Get("Authorization") != "Bearer a" {
		t.Fatalf("token_type bEaReR gave %v, %v; want it sent as Bearer", h, err)
	}
}

// TestAuth0NamesTheAPIWithAudience: with the Auth0 preset's parameter, a
// named token is asked for with audience, and sign-in sends no resource
// (Auth0 takes one audience, Config.Audience, per sign-in).
func TestAuth0NamesTheAPIWithAudience(t *testing.T) {
	op := newFakeOP(t)
	api := API{Audience: "https://tenant.example.test/api/v2/", Scopes: []string{"read:current_user"}}
	m, _ := op.signedIn(t, &memStore{}, time.Minute, manual, func(c *Config) {
		c.ResourceParameter = "audience"
		c.Audience = "https://orders.example.test/"
		c.APIs = map[string]API{"management": api}
	})
	var form url.Values
	op.script(func(w http.ResponseWriter, r *http.Request) bool {
		_ = r.ParseForm()
		form = r.PostForm
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"mgmt","token_type":"Bearer","expires_in":60,"refresh_token":"refresh-2","scope":"read:current_user"}`)
		return true
	})
	c, err := m.NamedToken("management").Credentials(t.Context(), time.Second)
	if err != nil || c.AccessToken != "mgmt" {
		t.Fatalf("the named token is %v, %v; want mgmt", c, err)
	}
	if form.Get("audience") != api.Audience || form.Get("scope") != "read:current_user" || form.Has("resource") || form.Get("grant_type") != "refresh_token" {
		t.Fatalf("the token request sent %v; want a refresh with audience and scope, no resource", form)
	}
	if current, _ := m.Held(t.Context()); current.RefreshToken != "refresh-2" || current.AccessToken != "access-0" {
		t.Fatalf("the session holds %v; want the rotated refresh token and its own access token", current)
	}
	params := m.signInParams(nil)
	if params.Has("resource") || params.Get("audience") != "https://orders.example.test/" {
		t.Fatalf("sign-in sends %v; want Config.Audience and no resource", params)
	}
	if scopes := m.signInScopes(); !slices.Contains(scopes, "read:current_user") || !slices.Contains(scopes, "openid") {
		t.Fatalf("sign-in asks for %v; want the session's scopes and the API's", scopes)
	}
}

// TestUnreadableNamedTokensAreAskedForAgain: named tokens that the store
// holds damaged are dropped and asked for again; the session is kept.
func TestUnreadableNamedTokensAreAskedForAgain(t *testing.T) {
	op := newFakeOP(t)
	store := &memStore{}
	m, _ := op.signedIn(t, store, time.Minute, manual, func(c *Config) {
		c.APIs = map[string]API{"orders": {Audience: "https://orders.example.test/"}}
	})
	if err := store.Set(t.Context(), "creds.apis", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	c, err := m.NamedToken("orders").Credentials(t.Context(), time.Second)
	if err != nil || c.AccessToken == "" {
		t.Fatalf("a named token over damaged ones gave %v, %v; want a new one", c, err)
	}
	if list, err := m.Tokens(t.Context()); err != nil || len(list) != 1 || list[0].Name != "orders" {
		t.Fatalf("Tokens gave %+v, %v; want orders alone", list, err)
	}
	if !hasValid(t.Context(), m, time.Second) {
		t.Fatal("the session went with the damaged named tokens")
	}
}

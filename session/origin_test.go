package session

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/hostile"
)

// TestTokenStaysWithItsOrigin sends requests to an API at 127.0.0.1 that
// answers with a redirect to a thief at 127.0.0.2, which answers 401
// invalid_token. golang.org/x/oauth2's client hands the thief the token;
// Latch's clients, for the session's token and a named one, bearer and
// DPoP, follow the redirect without the token or a proof, and renew
// nothing for the thief's 401.
func TestTokenStaysWithItsOrigin(t *testing.T) {
	thief := hostile.StartThief(t, http.StatusUnauthorized)

	// The comparison: x/oauth2's Transport sets the token on every hop.
	api := hostile.Redirector(t, http.StatusFound, thief.URL)
	resp, err := oauth2.NewClient(bg(t), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x-oauth2-token"})).Get(api.URL + "/orders")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen := thief.Seen(); len(seen) != 1 || seen[0].Header.Get("Authorization") != "Bearer x-oauth2-token" {
		t.Fatalf("x/oauth2's client gave the thief %+v; the comparison expects it to hand on the token", seen)
	}

	for _, dpop := range []bool{false, true} {
		t.Run(map[bool]string{false: "bearer", true: "dpop"}[dpop], func(t *testing.T) {
			e := newEnv(t, time.Minute)
			m := e.manager(manual, withAPIs, func(c *Config) { c.DPoP = dpop })
			e.login(m)
			if _, err := m.NamedToken("orders").Credentials(bg(t), time.Minute); err != nil {
				t.Fatal(err)
			}
			before, grants := len(thief.Seen()), len(e.rec.grants("refresh_token"))
			for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
				api := hostile.Redirector(t, status, thief.URL)
				for name, client := range map[string]*http.Client{"session": m.Client(bg(t)), "named": m.NamedToken("orders").Client(bg(t))} {
					req, _ := http.NewRequestWithContext(bg(t), http.MethodPost, api.URL+"/orders", strings.NewReader("item=tea"))
					resp, err := client.Do(req)
					if err != nil {
						t.Fatalf("%s client, %d: %v", name, status, err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusUnauthorized {
						t.Errorf("%s client, %d: answered %s; want the thief's 401 passed on", name, status, resp.Status)
					}
				}
			}
			seen := thief.Seen()[before:]
			if len(seen) != 4 {
				t.Fatalf("the thief got %d requests; want the 4 redirects followed", len(seen))
			}
			for _, r := range seen {
				if r.Header.Get("Authorization") != "" || r.Header.Get("DPoP") != "" {
					t.Errorf("the thief got %s %s with Authorization %q and DPoP %q; want neither", r.Method, r.Path, r.Header.Get("Authorization"), r.Header.Get("DPoP"))
				}
			}
			if n := len(e.rec.grants("refresh_token")) - grants; n != 0 {
				t.Errorf("the thief's 401 made %d renewals; want none", n)
			}
		})
	}
}

// TestProviderRedirectsStayWithTheProvider has the token endpoint answer
// a renewal with 307 to a thief at another origin: the refresh token is
// not sent on, the renewal fails at once as a provider that cannot serve
// this client (no retries), and the credentials are kept.
func TestProviderRedirectsStayWithTheProvider(t *testing.T) {
	e, proxy := newEnvBehindProxy(t, time.Minute)
	m := e.manager(manual)
	creds := e.login(m)
	thief := hostile.StartThief(t, http.StatusOK)
	proxy.SetFault(&faultproxy.Fault{Status: http.StatusTemporaryRedirect, Header: map[string]string{"Location": thief.URL + "/token"}})
	grants := len(e.rec.grants("refresh_token"))
	_, err := m.Renew(bg(t))
	if !errors.Is(err, ErrClientRejected) || errors.Is(err, ErrProviderUnreachable) {
		t.Fatalf("a renewal redirected to another origin gave %v; want ErrClientRejected, not retried", err)
	}
	if n := len(e.rec.grants("refresh_token")) - grants; n != 1 {
		t.Errorf("%d refresh requests; want 1, not retried", n)
	}
	if seen := thief.Seen(); len(seen) != 0 {
		t.Fatalf("the thief got %+v; want nothing", seen)
	}
	proxy.SetFault(nil)
	if held, err := m.Held(bg(t)); err != nil || held.RefreshToken != creds.RefreshToken {
		t.Fatalf("after the refused redirect the session holds %v, %v; want it kept", held, err)
	}
}

// TestSigningKeysAreReadToALimit points the Manager at a provider whose
// JWK Set never ends: the keys are read to the limit of a provider's
// answer and no further, instead of until memory or the timeout runs out
// (the report saw 521 MiB read).
func TestSigningKeysAreReadToALimit(t *testing.T) {
	op := hostile.StartEndlessJWKS(t)
	m, err := New(Config{Issuer: op.Issuer, ClientID: "c", LockDir: t.TempDir(), ManualRenewal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, _ = m.Provider(bg(t)) // fetches the keys, whether it fails now or at their first use
	// What the server managed to write before the client stopped: the
	// limit, and what the sockets' buffers hold. It stops growing.
	var sent int64
	for range 20 {
		time.Sleep(100 * time.Millisecond)
		now := op.Sent()
		if now > 0 && now == sent {
			break
		}
		sent = now
	}
	if sent == 0 || sent > 16<<20 {
		t.Fatalf("the provider wrote %d bytes of keys; want the keys asked for and read to about %d bytes", sent, maxProviderAnswer)
	}
	if again := op.Sent(); again != sent {
		t.Fatalf("the client went on reading the keys (%d bytes, then %d); want it stopped at the limit", sent, again)
	}
}

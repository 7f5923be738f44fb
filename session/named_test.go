package session

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/apiserver"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
)

// withAPIs declares the test provider's two APIs.
func withAPIs(c *Config) {
	c.APIs = map[string]API{
		"orders":  {Audience: oidcprovider.OrdersAPI, Scopes: []string{oidcprovider.OrdersRead}},
		"billing": {Audience: oidcprovider.BillingAPI, Scopes: []string{oidcprovider.BillingRead}},
	}
}

func withDPoP(c *Config) { c.DPoP = true }

// call sends GET to the API with client and returns what the API saw.
func call(t *testing.T, client *http.Client, api *apiserver.Server) apiserver.Answer {
	t.Helper()
	req, _ := http.NewRequestWithContext(bg(t), http.MethodGet, api.URL+"/orders?page=1", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the API answered %d (%s); refused: %v", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), api.Rejected())
	}
	var a apiserver.Answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a
}

// forEachPeerAndBinding runs f against each real provider, with bearer
// tokens and with DPoP.
func forEachPeerAndBinding(t *testing.T, f func(t *testing.T, e *env, dpop bool)) {
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		for _, dpop := range []bool{false, true} {
			t.Run(map[bool]string{false: "bearer", true: "dpop"}[dpop], func(t *testing.T) {
				// Each binding signs in on its own store.
				f(t, newEnvOn(t, e.peer), dpop)
			})
		}
	})
}

// statusOf sends a request with client, with header and an optional body,
// and returns the answer's status and WWW-Authenticate challenge.
func statusOf(t *testing.T, client *http.Client, method, target string, header http.Header, body ...io.Reader) (int, string) {
	t.Helper()
	var b io.Reader
	if len(body) > 0 {
		b = body[0]
	}
	req, err := http.NewRequestWithContext(bg(t), method, target, b)
	if err != nil {
		t.Fatal(err)
	}
	if header != nil {
		req.Header = header.Clone()
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

// okRefreshes counts the successful refresh requests since the first
// before.
func okRefreshes(e *env, before int) (ok, all int) {
	calls := e.rec.grants("refresh_token")[before:]
	for _, c := range calls {
		if c.Status == http.StatusOK {
			ok++
		}
	}
	return ok, len(calls)
}

func TestNamedTokensForTwoAPIsFromOneSignIn(t *testing.T) {
	forEachPeerAndBinding(t, func(t *testing.T, e *env, dpop bool) {
		{
			m := e.manager(manual, withAPIs, func(c *Config) { c.DPoP = dpop })
			creds := e.login(m)
			if creds.bound() != dpop {
				t.Fatalf("the session's token type is %q; want DPoP %t", creds.TokenType, dpop)
			}
			if dpop {
				// The refresh token is bound too: without a proof of the
				// key, it is refused.
				if code := e.refreshDirectly(creds.RefreshToken); code != "invalid_grant" {
					t.Fatalf("the bound refresh token without a proof answered %q; want invalid_grant", code)
				}
			}
			if dpop && e.peer.name == "oidc-provider" {
				// The provider requires nonces: the code exchange was
				// challenged once, and sent again with the nonce.
				codes := e.rec.grants("authorization_code")
				if len(codes) != 2 || codes[0].Status != http.StatusBadRequest || codes[1].Status != http.StatusOK {
					t.Fatalf("the code exchange went %+v; want a use_dpop_nonce 400, then 200", codes)
				}
			}
			orders := apiserver.Start(t, e.peer.issuer, oidcprovider.OrdersAPI, apiserver.Options{RequireNonce: dpop})
			billing := apiserver.Start(t, e.peer.issuer, oidcprovider.BillingAPI, apiserver.Options{RequireNonce: dpop})

			got := call(t, m.NamedToken("orders").Client(bg(t)), orders)
			if got.Subject != e.peer.subject || got.Scope != oidcprovider.OrdersRead || got.Bound != dpop {
				t.Fatalf("the orders API saw %+v; want alice with scope %s, bound %t", got, oidcprovider.OrdersRead, dpop)
			}
			got = call(t, m.NamedToken("billing").Client(bg(t)), billing)
			if got.Scope != oidcprovider.BillingRead || got.Bound != dpop {
				t.Fatalf("the billing API saw %+v; want scope %s, bound %t", got, oidcprovider.BillingRead, dpop)
			}
			// Each token is for its own API only.
			if _, err := m.NamedToken("orders").Credentials(bg(t), time.Second); err != nil {
				t.Fatal(err)
			}
			if code, _ := statusOf(t, m.NamedToken("orders").Client(bg(t)), http.MethodGet, billing.URL+"/", nil); code != http.StatusUnauthorized {
				t.Fatalf("the billing API answered the orders token with %d; want 401", code)
			}

			list, err := m.Tokens(bg(t))
			if err != nil || len(list) != 2 || list[0].Name != "billing" || list[1].Name != "orders" {
				t.Fatalf("Tokens gave %+v, %v; want billing and orders", list, err)
			}
			if list[1].Audience != oidcprovider.OrdersAPI || list[1].Bound != dpop || time.Until(list[1].Expiry) < 30*time.Second {
				t.Fatalf("the orders token is listed as %+v", list[1])
			}
			// Each named token rotated the refresh token: the session holds
			// the newest, and renews with it.
			current, _ := m.Held(bg(t))
			if current.RefreshToken == creds.RefreshToken {
				t.Fatal("the session still holds the refresh token from sign-in; want the rotated one")
			}
			if _, err := m.Renew(bg(t)); err != nil {
				t.Fatalf("renewal after named tokens: %v", err)
			}
			// The session's own token works with the provider's userinfo.
			p, _ := m.Provider(bg(t))
			if code, challenge := statusOf(t, m.Client(bg(t)), http.MethodGet, p.UserinfoEndpoint, nil); code != http.StatusOK {
				t.Fatalf("userinfo answered %d (%s)", code, challenge)
			}
			if dpop && (orders.Challenged() == 0 || billing.Challenged() == 0) {
				t.Fatal("the APIs never challenged for a nonce; the test does not show the retry")
			}
			if dpop && e.peer.name == "oidc-provider" {
				// The provider's nonce, learnt at sign-in, is remembered:
				// no later token request is challenged.
				for _, c := range e.rec.grants("refresh_token") {
					if c.Status != http.StatusOK {
						t.Fatalf("a token request after sign-in answered %d; want the remembered nonce accepted", c.Status)
					}
				}
			}
		}
	})
}

func TestNamedTokenDPoPProofsAreFreshAndNoncesRemembered(t *testing.T) {
	e := newEnv(t, time.Minute)
	m := e.manager(manual, withAPIs, withDPoP)
	e.login(m)
	orders := apiserver.Start(t, e.peer.issuer, oidcprovider.OrdersAPI, apiserver.Options{RequireNonce: true})
	client := m.NamedToken("orders").Client(bg(t))
	for range 3 {
		call(t, client, orders)
	}
	if n := orders.Challenged(); n != 1 {
		t.Fatalf("the API challenged %d times for 3 requests; want once, then the nonce remembered", n)
	}
	orders.RotateNonce()
	call(t, client, orders)
	if n := orders.Challenged(); n != 2 {
		t.Fatalf("a rotated nonce was challenged %d times in all; want 2", n)
	}
	// A header is for one request: sent twice, its proof is a replay.
	h, err := m.NamedToken("orders").Header(bg(t), http.MethodPost, orders.URL+"/orders?x=1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h.Get("Authorization"), "DPoP ") || h.Get("DPoP") == "" {
		t.Fatalf("header %v; want Authorization: DPoP and a DPoP proof", h)
	}
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		if code, _ := statusOf(t, http.DefaultClient, http.MethodPost, orders.URL+"/orders?x=1", h); code != want {
			t.Fatalf("sending the header a %d. time answered %d; want %d (refused: %v)", i+1, code, want, orders.Rejected())
		}
	}
	// A proof names its method and address.
	h, _ = m.NamedToken("orders").Header(bg(t), http.MethodPost, orders.URL+"/orders")
	if code, _ := statusOf(t, http.DefaultClient, http.MethodGet, orders.URL+"/orders", h); code != http.StatusUnauthorized {
		t.Fatalf("a POST proof on a GET answered %d; want 401", code)
	}
}

func TestNamedTokenOutsideTheGrantSaysToDeclareIt(t *testing.T) {
	forEachPeer(t, time.Minute, testNamedTokenOutsideTheGrant)
}

func testNamedTokenOutsideTheGrant(t *testing.T, e *env) {
	m := e.manager(manual, func(c *Config) {
		c.APIs = map[string]API{"orders": {Audience: oidcprovider.OrdersAPI, Scopes: []string{oidcprovider.OrdersRead}}}
	})
	e.login(m)
	before, _ := m.Held(bg(t))
	// The program declares billing after the sign-in, which did not ask
	// for it.
	later := e.manager(manual, func(c *Config) {
		c.APIs = map[string]API{
			"orders":  {Audience: oidcprovider.OrdersAPI, Scopes: []string{oidcprovider.OrdersRead}},
			"billing": {Audience: oidcprovider.BillingAPI, Scopes: []string{oidcprovider.BillingRead}},
		}
	})
	_, err := later.NamedToken("billing").Credentials(bg(t), time.Second)
	if !errors.Is(err, ErrNotGranted) {
		t.Fatalf("an API outside the grant gave %v; want ErrNotGranted", err)
	}
	if _, err := m.NamedToken("nothing").Credentials(bg(t), time.Second); !errors.Is(err, ErrNotGranted) {
		t.Fatalf("an unknown name gave %v; want ErrNotGranted", err)
	}
	// The session is untouched, and the declared API still works.
	after, err := m.Held(bg(t))
	if err != nil || after.RefreshToken != before.RefreshToken {
		t.Fatalf("the session changed after a refused named token: %v", err)
	}
	if _, err := m.NamedToken("orders").Credentials(bg(t), time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentRequestsForOneNameMakeOneTokenRequest(t *testing.T) {
	forEachPeer(t, time.Minute, testConcurrentNamedRequests)
}

func testConcurrentNamedRequests(t *testing.T, e *env) {
	m := e.manager(manual, withAPIs, withDPoP)
	e.login(m)
	before := len(e.rec.grants("refresh_token"))
	// 100 callers for orders and 100 for billing, all at once: one token
	// request per name, and the two names do not spend one refresh token
	// twice (which the providers would punish by revoking the grant).
	names := []string{"orders", "billing"}
	var wg sync.WaitGroup
	tokens := make([]string, 200)
	errs := make([]error, 200)
	for i := range 200 {
		wg.Go(func() {
			c, err := m.NamedToken(names[i%2]).Credentials(bg(t), time.Second)
			if err == nil {
				tokens[i] = c.AccessToken
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if ok, all := okRefreshes(e, before); ok != 2 {
		t.Fatalf("200 concurrent requests for two names made %d successful token requests (%d in all, nonce challenges included); want 2", ok, all)
	}
	for i, tok := range tokens {
		if tok != tokens[i%2] {
			t.Fatal("concurrent callers for one name got different tokens")
		}
	}
	if tokens[0] == tokens[1] {
		t.Fatal("the two names got the same token")
	}
	if _, err := m.Renew(bg(t)); err != nil {
		t.Fatalf("the session does not renew after the concurrent requests: %v", err)
	}
}

func TestTransportRenewsANamedTokenTheAPIRefuses(t *testing.T) {
	e := newEnv(t, time.Minute)
	m := e.manager(manual, withAPIs)
	e.login(m)
	orders := apiserver.Start(t, e.peer.issuer, oidcprovider.OrdersAPI, apiserver.Options{})
	first, err := m.NamedToken("orders").Credentials(bg(t), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	orders.RefuseNext(1)
	body := strings.NewReader(url.Values{"item": {"tea"}}.Encode())
	if code, _ := statusOf(t, m.NamedToken("orders").Client(bg(t)), http.MethodPost, orders.URL+"/orders", nil, body); code != http.StatusOK {
		t.Fatalf("after one invalid_token the request answered %d; want 200 with a new token", code)
	}
	second, _ := m.NamedToken("orders").Credentials(bg(t), time.Second)
	if second.AccessToken == first.AccessToken {
		t.Fatal("the refused token is still held; want a new one")
	}
	orders.RefuseNext(2)
	if code, _ := statusOf(t, m.NamedToken("orders").Client(bg(t)), http.MethodGet, orders.URL+"/orders", nil); code != http.StatusUnauthorized {
		t.Fatalf("refused twice, the request answered %d; want the 401 passed on after one retry", code)
	}
}

func TestNamedTokensRemove(t *testing.T) {
	forEachPeer(t, time.Minute, testNamedTokensRemove)
}

func testNamedTokensRemove(t *testing.T, e *env) {
	m := e.manager(manual, withAPIs)
	e.login(m)
	for _, name := range []string{"orders", "billing"} {
		if _, err := m.NamedToken(name).Credentials(bg(t), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.NamedToken("orders").Remove(bg(t)); err != nil {
		t.Fatal(err)
	}
	if list, _ := m.Tokens(bg(t)); len(list) != 1 || list[0].Name != "billing" {
		t.Fatalf("after removing orders, %+v held; want billing alone", list)
	}
	// Another Manager on the store (another process) sees the same.
	other := e.manager(manual, withAPIs)
	if list, _ := other.Tokens(bg(t)); len(list) != 1 || list[0].Name != "billing" {
		t.Fatalf("another Manager lists %+v; want billing alone", list)
	}
	// Removing one that is not held is no error.
	if err := m.NamedToken("orders").Remove(bg(t)); err != nil {
		t.Fatalf("removing a token not held: %v", err)
	}
	if err := other.NamedToken("billing").Remove(bg(t)); err != nil {
		t.Fatal(err)
	}
	if list, _ := other.Tokens(bg(t)); len(list) != 0 {
		t.Fatalf("after removing billing, %+v held; want none", list)
	}
	if !hasValid(bg(t), m, time.Second) {
		t.Fatal("removing the named tokens ended the session; want it kept")
	}
}

func TestNamedTokensAreRenewedAheadOfExpiry(t *testing.T) {
	forEachPeer(t, 4*time.Second, func(t *testing.T, e *env) {
		m := e.manager(withAPIs) // with the background scheduler
		e.login(m)
		first, err := m.NamedToken("orders").Credentials(bg(t), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// At about 75% of its 4 s, the token is renewed in the background;
		// a caller then finds the new one in memory, without a request.
		deadline := time.Now().Add(10 * time.Second)
		for {
			list, err := m.Tokens(bg(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(list) == 1 && list[0].Expiry.After(first.Expiry) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("10 s after a 4 s named token was issued it was not renewed: %+v", list)
			}
			time.Sleep(100 * time.Millisecond)
		}
		before := len(e.rec.grants("refresh_token"))
		renewed, err := m.NamedToken("orders").Credentials(bg(t), time.Second)
		if err != nil || renewed.AccessToken == first.AccessToken {
			t.Fatalf("after the background renewal got %v; want the new token", err)
		}
		if n := len(e.rec.grants("refresh_token")); n != before {
			t.Fatalf("the caller made %d token requests; want none (renewed ahead)", n-before)
		}
		if !hasValid(bg(t), m, 0) {
			t.Fatal("the session itself is not valid after the named renewals")
		}
	})
}

// TestNamedTokenFollowsItsDeclaration changes what the API named orders
// is, after a token was issued for it, as a person editing the config
// file does: a token held for other scopes is not served, a new one is
// asked for the declaration; an audience the sign-in did not include is
// refused with ErrNotGranted, and the old token is not served either.
func TestNamedTokenFollowsItsDeclaration(t *testing.T) {
	e := newEnv(t, time.Minute)
	declare := func(api API) func(*Config) {
		return func(c *Config) {
			withAPIs(c)
			c.APIs["orders"] = api
		}
	}
	m := e.manager(manual, func(c *Config) {
		withAPIs(c)
		c.APIs["orders"] = API{Audience: oidcprovider.OrdersAPI, Scopes: []string{oidcprovider.OrdersRead, oidcprovider.OrdersWrite}}
	})
	e.login(m)
	first, err := m.NamedToken("orders").Credentials(bg(t), time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	// The same API, fewer scopes: a new token for them.
	narrower := e.manager(manual, declare(API{Audience: oidcprovider.OrdersAPI, Scopes: []string{oidcprovider.OrdersRead}}))
	c, err := narrower.NamedToken("orders").Credentials(bg(t), time.Minute)
	if err != nil || c.AccessToken == first.AccessToken || c.Scope != oidcprovider.OrdersRead {
		t.Fatalf("orders declared with fewer scopes gave %v (scope %q), %v; want a new token for orders:read alone", c, c.Scope, err)
	}
	if list, _ := narrower.Tokens(bg(t)); len(list) != 1 || len(list[0].Scopes) != 1 {
		t.Fatalf("the store lists %+v; want orders held for its new scopes", list)
	}

	// Another audience, which the sign-in did not ask for: refused, and
	// the token held for the old declaration is not served.
	moved := e.manager(manual, declare(API{Audience: "https://stock.example.test/"}))
	if _, err := moved.NamedToken("orders").Credentials(bg(t), time.Minute); !errors.Is(err, ErrNotGranted) {
		t.Fatalf("orders moved to an API outside the grant gave %v; want ErrNotGranted", err)
	}
	// The provider was not asked: the session lives (oidc-provider spends
	// the refresh token on a request for an API outside the grant).
	if _, err := moved.Renew(bg(t)); err != nil {
		t.Fatalf("the session's renewal after the refusal: %v; want the session alive", err)
	}
	if _, err := moved.NamedToken("orders").Header(bg(t), http.MethodGet, "https://stock.example.test/items"); !errors.Is(err, ErrNotGranted) {
		t.Fatalf("a header for the moved orders gave %v; want ErrNotGranted, not the old token", err)
	}
}

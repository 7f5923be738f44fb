package session_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/session"
)

// issuer is the provider the examples sign in to: in a program, its
// address, such as "https://YOUR-TENANT.eu.auth0.com/". When the examples
// run as tests, it is Latch's sandbox, started in the test, and the
// person at the browser signs in as its demo account.
var issuer string

func TestMain(m *testing.M) { os.Exit(sessiontest.RunExamples(m, &issuer)) }

// A program signs the person in through their browser, then calls an API
// with the session: here the provider's userinfo endpoint, through
// golang.org/x/oauth2's own client, since a session is an
// oauth2.TokenSource. The session renews its tokens by itself.
func Example() {
	ctx := context.Background()
	m, err := session.New(session.Config{
		Issuer:   issuer,
		ClientID: "latch-desktop",
		// Store: keychain.New("my-app") keeps the session in the operating
		// system's keychain between runs (package session/keychain).
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	// At launch: sign in only when the session held cannot be used.
	held, err := m.Held(ctx)
	if err != nil || (!held.ValidFor(time.Now(), time.Minute) && !held.CanRenew(time.Now())) {
		if _, err := m.LoginWithBrowser(ctx, session.BrowserLogin{}); err != nil {
			fmt.Println("sign-in failed:", err)
			return
		}
	}

	p, err := m.Provider(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	client := oauth2.NewClient(ctx, m.TokenSource(30*time.Second))
	resp, err := client.Get(p.UserinfoEndpoint)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var me struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("signed in as", me.Name, me.Email)
	// Output: signed in as Dana Demo demo@sandbox.latch.invalid
}

// A program that calls several APIs declares them, and gets a token for
// each from the one sign-in: the sign-in asks for them all (as RFC 8707
// resource indicators), and each token is then asked for with the
// session's refresh token when first used, kept and renewed like the
// session's own.
func ExampleManager_NamedToken() {
	ctx := context.Background()
	m, err := session.New(session.Config{
		Issuer:   issuer,
		ClientID: "latch-desktop",
		APIs: map[string]session.API{
			"orders":  {Audience: "https://orders.example.com/", Scopes: []string{"orders:read"}},
			"billing": {Audience: "https://billing.example.com/"},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	if _, err := m.LoginWithBrowser(ctx, session.BrowserLogin{}); err != nil {
		fmt.Println("sign-in failed:", err)
		return
	}

	// Its token source, client and header work as the session's do; here
	// the token itself.
	orders := m.NamedToken("orders")
	if _, err := orders.Credentials(ctx, time.Minute); err != nil {
		fmt.Println(err)
		return
	}
	list, err := m.Tokens(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range list {
		fmt.Println(t.Name, t.Audience, t.Scopes)
	}
	// A name that is not declared gets no token.
	_, err = m.NamedToken("payroll").Credentials(ctx, time.Minute)
	fmt.Println(errors.Is(err, session.ErrNotGranted))
	// Output:
	// orders https://orders.example.com/ [orders:read]
	// true
}

// With DPoP (RFC 9449) every token is bound to a key that only this
// computer holds, made at sign-in and kept in the store beside the
// session: a stolen token is of no use elsewhere. The session's client
// signs a proof for every request it sends; Header gives the lines for a
// request sent by other means.
func ExampleConfig_dPoP() {
	ctx := context.Background()
	m, err := session.New(session.Config{
		Issuer:   issuer,
		ClientID: "latch-desktop",
		DPoP:     true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	if _, err := m.LoginWithBrowser(ctx, session.BrowserLogin{}); err != nil {
		fmt.Println("sign-in failed:", err)
		return
	}
	p, err := m.Provider(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := m.Client(ctx).Get(p.UserinfoEndpoint)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("userinfo:", resp.Status)

	h, err := m.Header(ctx, http.MethodGet, "https://api.example.com/orders")
	if err != nil {
		fmt.Println(err)
		return
	}
	scheme, _, _ := strings.Cut(h.Get("Authorization"), " ")
	fmt.Println("Authorization:", scheme, "…")
	fmt.Println("DPoP proof:", h.Get("DPoP") != "")
	// Output:
	// userinfo: 200 OK
	// Authorization: DPoP …
	// DPoP proof: true
}

// A window or a tray icon follows the session's state as it changes:
// signed in, renewing, offline, ended (and why), signed out, here or in
// any other program on the same store. Each event comes on a goroutine of
// the subscription; a UI hands it to its own thread.
func ExampleManager_Subscribe() {
	ctx := context.Background()
	m, err := session.New(session.Config{Issuer: issuer, ClientID: "latch-desktop"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	states := make(chan session.State, 10)
	unsubscribe := m.Subscribe(func(e session.Event) { states <- e.State })
	defer unsubscribe()

	if _, err := m.LoginWithBrowser(ctx, session.BrowserLogin{}); err != nil {
		fmt.Println("sign-in failed:", err)
		return
	}
	if err := m.Logout(ctx); err != nil {
		fmt.Println(err)
		return
	}
	for s := range states {
		fmt.Println(s)
		if s == session.StateSignedOut {
			break
		}
	}
	// Output:
	// unknown
	// signed in
	// signed out
}

// Signing out revokes the refresh token at the provider and removes the
// session from the store, in every program that shares it. When the
// provider cannot be reached, the local sign-out is done all the same and
// the provider is told later.
func ExampleManager_Logout() {
	ctx := context.Background()
	m, err := session.New(session.Config{Issuer: issuer, ClientID: "latch-desktop"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	if _, err := m.LoginWithBrowser(ctx, session.BrowserLogin{}); err != nil {
		fmt.Println("sign-in failed:", err)
		return
	}

	err = m.Logout(ctx)
	switch {
	case errors.Is(err, session.ErrRevocationPending):
		fmt.Println("signed out here; the provider will be told when it can be reached")
	case err != nil:
		fmt.Println("not signed out:", err)
		return
	default:
		fmt.Println("signed out")
	}
	_, err = m.Credentials(ctx, time.Minute)
	fmt.Println(errors.Is(err, session.ErrNoCredentials))
	// Output:
	// signed out
	// true
}

package session_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/session"
)

// A program checks for a session before it signs anyone in. Here the
// store is empty, so the Manager says nobody is signed in, without any
// network call.
func Example() {
	m, err := session.New(session.Config{
		Issuer:   "https://login.example.test",
		ClientID: "example-client",
		Store:    &session.MemoryStore{}, // session.NewKeychain("my-app") in a real program
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	ctx := context.Background()
	fmt.Println("valid for a minute:", m.HasValid(ctx, time.Minute))
	fmt.Println("renewable:", m.CanRenew(ctx))
	_, err = m.Credentials(ctx, time.Minute)
	if errors.Is(err, session.ErrNoCredentials) {
		fmt.Println("nobody is signed in:", m.State().State)
	}
	// Output:
	// valid for a minute: false
	// renewable: false
	// nobody is signed in: signed out
}

// Signing in through the system browser, then using the access token.
func ExampleManager_LoginWithBrowser() {
	m, err := session.New(session.Config{
		Issuer:   "https://example.eu.auth0.com/",
		ClientID: "my-native-client",
		Store:    session.NewKeychain("my-app"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	ctx := context.Background()
	if _, err := m.LoginWithBrowser(ctx, session.BrowserLogin{OpenURL: session.OpenBrowser}); err != nil {
		fmt.Println("sign-in failed:", err)
		return
	}
	h, err := m.Header(ctx, http.MethodGet, "https://api.example.com/orders")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("Authorization:", h.Get("Authorization") != "")
}

// Any Go library that takes an oauth2.TokenSource or an *http.Client runs
// on a Latch session: here golang.org/x/oauth2's own client.
func ExampleManager_TokenSource() {
	m, err := session.New(session.Config{
		Issuer:   "https://example.eu.auth0.com/",
		ClientID: "my-native-client",
		Store:    session.NewKeychain("my-app"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	ctx := context.Background()
	var src oauth2.TokenSource = m.TokenSource(30 * time.Second)
	resp, err := oauth2.NewClient(ctx, src).Get("https://api.example.com/me")
	if errors.Is(err, session.ErrNoCredentials) {
		fmt.Println("sign in first")
		return
	}
	if err == nil {
		resp.Body.Close()
	}
}

// A program that calls two APIs declares them, and gets a token for each
// from the one sign-in; with DPoP each request carries a proof of a key
// kept in the keychain.
func ExampleManager_NamedToken() {
	m, err := session.New(session.Config{
		Issuer:   "https://login.example.test",
		ClientID: "example-client",
		Store:    &session.MemoryStore{},
		APIs: map[string]session.API{
			"orders":  {Audience: "https://orders.example.test/", Scopes: []string{"orders:read"}},
			"billing": {Audience: "https://billing.example.test/", Scopes: []string{"billing:read"}},
		},
		DPoP:          true,
		ManualRenewal: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	ctx := context.Background()
	// Nobody is signed in yet: the token cannot be had, and no request is
	// made.
	_, err = m.NamedToken("orders").Credentials(ctx, time.Minute)
	fmt.Println(errors.Is(err, session.ErrNoCredentials))
	list, _ := m.Tokens(ctx)
	fmt.Println(len(list), "named tokens held")
	// Output:
	// true
	// 0 named tokens held
}

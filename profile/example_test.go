package profile_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

// issuer is the provider the examples sign in to: in a program, its
// address, such as "https://YOUR-TENANT.eu.auth0.com/". When the examples
// run as tests, it is Latch's sandbox, started in the test, which serves
// the Auth0 Management API for the user's own record, and the person at
// the browser signs in as its demo account.
var issuer string

func TestMain(m *testing.M) { os.Exit(sessiontest.RunExamples(m, &issuer)) }

// A program reads who is signed in from the ID token, then reads and
// changes the person's user_metadata through the Auth0 Management API's
// user endpoint, with the session's own client: the smallest change, where
// a key set to nil is removed.
func ExampleMetadataClient() {
	ctx := context.Background()
	m, err := session.New(session.Config{
		Issuer:   issuer,
		ClientID: "latch-desktop",
		// The user's own token must be allowed to use the Management API.
		Scopes: []string{"openid", "profile", "email", "offline_access",
			profile.ScopeReadCurrentUser, profile.ScopeUpdateCurrentUserMetadata},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	creds, err := m.LoginWithBrowser(ctx, session.BrowserLogin{})
	if err != nil {
		fmt.Println("sign-in failed:", err)
		return
	}
	claims, err := creds.Claims()
	if err != nil {
		fmt.Println(err)
		return
	}
	me := profile.FromClaims(claims)
	fmt.Println("signed in as", me.DisplayName())

	// With Auth0: https://YOUR-TENANT.eu.auth0.com/api/v2/
	md := &profile.MetadataClient{BaseURL: issuer + "/api/v2/", HTTP: m.Client(ctx)}
	if _, err := md.Patch(ctx, me.Subject, map[string]any{"theme": "dark", "pinned": []any{"orders"}}); err != nil {
		fmt.Println(err)
		return
	}
	after, err := md.Patch(ctx, me.Subject, map[string]any{"pinned": nil})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("changed:", after)

	// Another program, or the next run, reads what was kept.
	now, err := md.Get(ctx, me.Subject)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("theme:", now["theme"])
	// Output:
	// signed in as Dana Demo
	// changed: map[theme:dark]
	// theme: dark
}

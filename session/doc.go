// Package session signs a person in to an OpenID Connect provider and keeps
// that session: it stores the credentials (in the operating system's
// keychain, with package session/keychain), hands out valid access tokens,
// renews them before they expire, and signs out by revoking the refresh
// token and clearing the store.
//
// It is the Go counterpart of Auth0.swift's CredentialsManager, with
// renewal that no caller waits for, renewal that is safe across
// processes, and errors that say why a session ended.
//
// # Tour
//
// A [Manager] holds one person's session with one provider:
//
//	m, err := session.New(session.Config{
//		Issuer:   "https://YOUR-TENANT.eu.auth0.com/",
//		ClientID: "my-native-client",
//		Store:    keychain.New("my-app"),
//	})
//	if err != nil { ... }
//	defer m.Close()
//
// On launch, look at what is held, without the network, and sign in only
// when it cannot be used ([Manager.LoginWithBrowser] opens the person's
// browser; [Manager.StartDeviceLogin] signs in on another device):
//
//	held, err := m.Held(ctx)
//	if err != nil || (!held.ValidFor(time.Now(), time.Minute) && !held.CanRenew(time.Now())) {
//		_, err = m.LoginWithBrowser(ctx, session.BrowserLogin{})
//	}
//
// A session is an oauth2.TokenSource and an *http.Client, so any Go
// library that takes either runs on it. In steady state tokens come from
// memory, with no lock: the background renewal has already renewed them.
//
//	client := oauth2.NewClient(ctx, m.TokenSource(30*time.Second))
//	resp, err := client.Get("https://api.example.com/me")
//
// or, with [Manager.Client], which also signs DPoP proofs and retries once
// with a renewed token when the API refuses one:
//
//	resp, err := m.Client(ctx).Get("https://api.example.com/me")
//
// [Manager.Credentials] returns the tokens themselves, and
// [Manager.Header] the header lines of a request another program sends.
//
// Named tokens are access tokens for other APIs, from the same sign-in:
// declare the APIs in [Config.APIs], and [Manager.NamedToken] gives each
// the same four ways. [Config.DPoP] binds every token to a key that only
// this computer holds. Follow the session's state (signed in, renewing,
// offline, ended and why) with [Manager.Subscribe], and sign out with
// [Manager.Logout].
//
// # Several programs, one session
//
// Every Manager on the same store and issuer shares one session, in this
// process or others: a file lock serialises renewals (so that a rotating
// refresh token is never spent twice), each Manager re-reads the store
// before it spends, and each follows the others' sign-in, renewal and
// sign-out within seconds. A desktop app and a command-line tool built on
// this package are signed in and out together.
//
// # Security
//
// Sign-in uses the authorization code flow with PKCE (S256) and a loopback
// redirect on 127.0.0.1 that serves one callback (RFC 8252), or the device
// authorization grant (RFC 8628). state and nonce are checked; ID tokens
// are verified (signature against the provider's JWK Set, an allowlist of
// asymmetric algorithms, iss, aud, azp, exp, iat). Tokens travel over
// https only, or plain http to this machine; they never appear in errors,
// logs or printed Credentials, and nothing secret is written outside the
// [Store].
//
// # Errors
//
// Errors wrap one of the sentinel errors, grouped by what the caller must
// do: sign in ([ErrNoCredentials], [ErrSignInRequired] and the reasons
// that match it), try later ([ErrProviderUnreachable]), change the
// configuration ([ErrClientRejected], [ErrNotGranted]), mend the keychain
// ([ErrKeychainUnavailable]); or they are a [*ProviderError] carrying the
// provider's OAuth error code. Test them with [errors.Is] and
// [errors.As]. Their texts are for developers: an application words them
// for people.
package session

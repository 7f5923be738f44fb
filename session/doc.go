// Package session signs a person in to an OpenID Connect provider and keeps
// that session: it stores the credentials in the operating system's
// keychain, hands out valid access tokens, renews them before they expire,
// and signs out by revoking the refresh token and clearing the keychain.
//
// It is the Go counterpart of Auth0.swift's CredentialsManager, with
// renewal that no caller waits for, renewal that is safe across processes,
// keychain storage that survives platform size limits and torn writes, and
// errors that say why a session ended.
//
// # Tour
//
// A [Manager] holds one session with one provider:
//
//	m, err := session.New(session.Config{
//		Issuer:   "https://example.eu.auth0.com/",
//		ClientID: "my-native-client",
//		Store:    session.NewKeychain("my-app"),
//	})
//	if err != nil { ... }
//	defer m.Close()
//
// On launch, check the keychain without touching the network, and sign in
// only when needed:
//
//	if !m.HasValid(ctx, time.Minute) && !m.CanRenew(ctx) {
//		_, err = m.LoginWithBrowser(ctx, session.BrowserLogin{OpenURL: session.OpenBrowser})
//	}
//
// A session is an oauth2.TokenSource and an *http.Client, so any Go
// library that takes either runs on it. In steady state tokens come from
// memory; the background scheduler has already renewed them:
//
//	client := oauth2.NewClient(ctx, m.TokenSource(30*time.Second))
//	resp, err := client.Get("https://api.example.com/me")
//
// or, with [Manager.Client], which fetches each token with the request's
// own context:
//
//	resp, err := m.Client(ctx).Get("https://api.example.com/me")
//
// Named tokens are access tokens for other APIs, from the same sign-in
// (declare them in [Config.APIs]); DPoP ([Config.DPoP]) binds every token
// to a key that only this machine holds:
//
//	orders := m.NamedToken("orders")
//	resp, err := orders.Client(ctx).Get("https://orders.example.com/v1/orders")
//	h, err := m.Header(ctx, http.MethodGet, "https://api.example.com/me")
//
// [Manager.Credentials] returns the tokens themselves. Follow the
// session's state (signed in, renewing, offline, ended and why) with
// [Manager.Subscribe], and sign out with [Manager.Logout].
//
// # Security
//
// Sign-in uses the authorization code flow with PKCE (S256) and a loopback
// redirect on 127.0.0.1 that serves one callback (RFC 8252), or the device
// authorization grant (RFC 8628). state and nonce are checked; ID tokens
// are verified (signature against the provider's JWK Set, an allowlist of
// asymmetric algorithms, iss, aud, azp, exp, iat). Tokens never appear in
// errors, logs or String output, and nothing secret is written outside the
// [Store].
//
// # Errors
//
// Errors wrap one of the sentinel errors ([ErrNoCredentials],
// [ErrSignInRequired], [ErrKeychainUnavailable], [ErrProviderUnreachable],
// ...) or are a [*ProviderError] carrying the provider's OAuth error code,
// or a [*DiscoveryError]; test them with [errors.Is] and [errors.As].
// Their texts are for developers: an application words them for people.
package session

package profile_test

import "golang.org/x/oauth2"

// staticToken is a token source that always gives the bearer token tok.
func staticToken(tok string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "Bearer"})
}

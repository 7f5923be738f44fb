package oidcprovider

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// RefreshError spends refreshToken at the token endpoint of the provider
// at issuer, as the test client, and returns the OAuth error code it
// answers: "" when the token was still valid, "invalid_grant" when it was
// revoked or spent.
func RefreshError(t testing.TB, issuer, refreshToken string) string {
	t.Helper()
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.PostForm(disc.TokenEndpoint, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	return answer.Error
}

package session

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLogoutRevokesAtProvider(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		creds := e.login(m)
		if err := m.Logout(bg(t)); err != nil {
			t.Fatal(err)
		}
		if code := e.refreshDirectly(creds.RefreshToken); code != "invalid_grant" {
			t.Fatalf("refresh token after logout answered %q, want invalid_grant", code)
		}
		if keys := e.store.(*memStore).Keys(); len(keys) != 0 {
			t.Fatalf("store still holds %v, want nothing", keys)
		}
		if _, err := m.Credentials(bg(t), 0); !errors.Is(err, ErrNoCredentials) {
			t.Fatalf("want ErrNoCredentials, got %v", err)
		}
		if m.State().State != StateSignedOut {
			t.Errorf("state %v, want signed out", m.State().State)
		}
	})
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		p, err := discover(bg(t), http.DefaultClient, e.peer.issuer+"/")
		if err != nil {
			t.Fatal(err)
		}
		if p.TokenEndpoint == "" || p.RevocationEndpoint == "" || p.DeviceAuthorizationEndpoint == "" || p.JWKSURI == "" {
			t.Fatalf("discovery gave %+v, want token, revocation, device and JWKS endpoints", p)
		}
		// The Manager keeps what it discovered for its own life; another
		// Manager discovers again.
		m := e.manager(manual)
		first, err := m.Provider(bg(t))
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := m.Provider(bg(t)); again != first {
			t.Error("the Manager discovered again, want its first result kept")
		}
		if other, _ := e.manager(manual).Provider(bg(t)); other == first {
			t.Error("two Managers share one discovery, want one each")
		}
		if _, err := discover(bg(t), http.DefaultClient, "http://127.0.0.1:1"); errors.Is(err, ErrClientRejected) || !errors.Is(err, ErrProviderUnreachable) {
			t.Errorf("unreachable issuer gave %v, want ErrProviderUnreachable alone: trying later may help", err)
		}
		if _, err := discover(bg(t), http.DefaultClient, "http://example.test"); !errors.Is(err, ErrClientRejected) {
			t.Errorf("plain http off loopback gave %v, want ErrClientRejected", err)
		}
	})
}

func TestDiscoveryRefusesEndpointsInClear(t *testing.T) {
	srv := httptest.NewTLSServer(nil)
	defer srv.Close()
	for _, endpoint := range []string{"token_endpoint", "jwks_uri", "revocation_endpoint", "userinfo_endpoint", "device_authorization_endpoint"} {
		doc := map[string]string{
			"issuer":                 srv.URL,
			"authorization_endpoint": srv.URL + "/auth",
			"token_endpoint":         srv.URL + "/token",
			"jwks_uri":               srv.URL + "/jwks",
		}
		doc[endpoint] = "http://id.example.test/" + endpoint
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(doc) })
		_, err := discover(t.Context(), srv.Client(), srv.URL)
		if !errors.Is(err, ErrClientRejected) || !strings.Contains(err.Error(), endpoint+" is not https") {
			t.Errorf("an https issuer naming a plain-http %s gave %v, want it refused", endpoint, err)
		}
	}
	if _, err := discover(t.Context(), http.DefaultClient, "http://127.0.0.1.attacker.example"); !errors.Is(err, ErrClientRejected) {
		t.Errorf("an http issuer on a host that looks like loopback gave %v, want it refused", err)
	}
}

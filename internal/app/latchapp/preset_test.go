package latchapp

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/base/memstore"
	"github.com/latchapp/latch/internal/testing/oidcprovider"
	"github.com/latchapp/latch/internal/testing/testbrowser"
	"github.com/latchapp/latch/session"
)

// Each preset, given the values a person knows, finds a real OpenID
// provider served at that provider's path shape (oidc-provider mounted
// under /realms/NAME, /oauth2/SERVER, /TENANT/v2.0; with a client secret
// and no rotation as Google; without revocation as Entra), signs in,
// renews and signs out there.
func TestPresetsAgainstAProviderAtTheirPathShape(t *testing.T) {
	const tenant = "0b5e7c2d-4a1f-4e8b-9c3d-6f2a1b0c9d8e"
	for _, c := range []struct {
		preset string
		opts   oidcprovider.Options
		values func(listening string) map[string]string
	}{
		{"auth0", oidcprovider.Options{TrailingSlash: true}, func(l string) map[string]string {
			return map[string]string{"auth0_domain": l}
		}},
		{"okta", oidcprovider.Options{MountPath: "/oauth2/default"}, func(l string) map[string]string {
			return map[string]string{"okta_org": l}
		}},
		{"okta", oidcprovider.Options{MountPath: "/oauth2/aus9k2ab7QhgE5Ok0h7"}, func(l string) map[string]string {
			return map[string]string{"okta_org": l, "okta_auth_server": "aus9k2ab7QhgE5Ok0h7"}
		}},
		{"keycloak", oidcprovider.Options{MountPath: "/realms/staff"}, func(l string) map[string]string {
			return map[string]string{"keycloak_url": l, "keycloak_realm": "staff"}
		}},
		{"keycloak", oidcprovider.Options{MountPath: "/auth/realms/staff"}, func(l string) map[string]string {
			return map[string]string{"keycloak_url": l + "/auth/", "keycloak_realm": "staff"}
		}},
		{"entra", oidcprovider.Options{MountPath: "/" + tenant + "/v2.0", NoRevocation: true}, func(l string) map[string]string {
			return map[string]string{"entra_tenant": tenant, "entra_authority": l}
		}},
		{"google", oidcprovider.Options{ClientSecret: "GOCSPX-test-secret", NoRotation: true}, func(string) map[string]string {
			return map[string]string{"google_client_secret": "GOCSPX-test-secret"}
		}},
	} {
		t.Run(c.preset+c.opts.MountPath, func(t *testing.T) {
			op := oidcprovider.Start(t, c.opts)
			if c.preset == "google" {
				defer func(was string) { googleIssuer = was }(googleIssuer)
				googleIssuer = op.Issuer
			}
			values := c.values(op.Listening)
			flags := Settings{ClientID: oidcprovider.ClientID, Presets: values, Set: map[string]bool{"client-id": true}}
			for _, p := range Presets {
				for _, f := range p.Fields {
					if values[f.Key] != "" {
						flags.Set[f.Flag()] = true
					}
				}
			}
			cfg, err := LoadConfig(flags, func(string) string { return "" }, "")
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Preset != c.preset || cfg.Issuer != op.Issuer {
				t.Fatalf("the %s preset derived the issuer %q (preset %q); want %q", c.preset, cfg.Issuer, cfg.Preset, op.Issuer)
			}
			a, err := Open(t.Context(), cfg, Options{Store: &memstore.Store{}, LockDir: t.TempDir(), ManualRenewal: true})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			first, err := a.Manager.LoginWithBrowser(ctx, session.BrowserLogin{OpenURL: testbrowser.NewBrowser("alice", oidcprovider.Accounts["alice"]).OpenURL})
			if err != nil {
				t.Fatalf("signing in through the %s preset: %v", c.preset, err)
			}
			renewed, err := a.Manager.Renew(ctx)
			if err != nil {
				t.Fatalf("renewing through the %s preset: %v", c.preset, err)
			}
			if renewed.AccessToken == first.AccessToken {
				t.Error("the renewal gave the same access token")
			}
			rotated := renewed.RefreshToken != first.RefreshToken
			if rotated == c.opts.NoRotation {
				t.Errorf("the refresh token rotated: %v; the provider rotates: %v", rotated, !c.opts.NoRotation)
			}
			err = a.Manager.Logout(ctx)
			switch {
			case c.opts.NoRevocation && !errors.Is(err, session.ErrRevocationUnsupported):
				t.Errorf("signing out where the provider has no revocation endpoint gave %v; want ErrRevocationUnsupported", err)
			case !c.opts.NoRevocation && err != nil:
				t.Errorf("signing out gave %v; want the refresh token revoked", err)
			}
			if _, err := a.Manager.Held(ctx); !errors.Is(err, session.ErrNoCredentials) {
				t.Errorf("after sign-out the session holds %v; want nothing", err)
			}
		})
	}
}

// What each preset derives from its values, and what it refuses, naming
// the setting.
func TestPresetsDeriveAndRefuse(t *testing.T) {
	load := func(values map[string]string) (Config, error) {
		flags := Settings{ClientID: "c", Presets: values, Set: map[string]bool{"client-id": true}}
		for key := range values {
			flags.Set[strings.ReplaceAll(key, "_", "-")] = true
		}
		return LoadConfig(flags, func(string) string { return "" }, "")
	}
	for _, c := range []struct {
		values map[string]string
		issuer string
	}{
		{map[string]string{"auth0_domain": "tenant.eu.auth0.com"}, "https://tenant.eu.auth0.com/"},
		{map[string]string{"okta_org": "dev-123456.okta.com"}, "https://dev-123456.okta.com/oauth2/default"},
		{map[string]string{"okta_org": "https://login.example.com/", "okta_auth_server": "aus1"}, "https://login.example.com/oauth2/aus1"},
		{map[string]string{"keycloak_url": "https://sso.example.com", "keycloak_realm": "staff"}, "https://sso.example.com/realms/staff"},
		{map[string]string{"entra_tenant": "contoso.onmicrosoft.com"}, "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"},
		{map[string]string{"entra_tenant": "contoso.onmicrosoft.us", "entra_authority": "https://login.microsoftonline.us"}, "https://login.microsoftonline.us/contoso.onmicrosoft.us/v2.0"},
		{map[string]string{"google_client_secret": "GOCSPX-x"}, "https://accounts.google.com"},
	} {
		cfg, err := load(c.values)
		if err != nil || cfg.Issuer != c.issuer {
			t.Errorf("%v derived %q, %v; want %q", c.values, cfg.Issuer, err, c.issuer)
		}
	}
	google, _ := load(map[string]string{"google_client_secret": "GOCSPX-x"})
	if google.ClientSecret != "GOCSPX-x" || google.AuthParams.Get("access_type") != "offline" || strings.Join(google.Scopes, " ") != "openid profile email" {
		t.Errorf("the Google preset gave secret %q, parameters %v, scopes %q", google.ClientSecret, google.AuthParams, google.Scopes)
	}
	for _, c := range []struct {
		values map[string]string
		want   string
	}{
		{map[string]string{"keycloak_url": "https://sso.example.com"}, "needs keycloak_realm"},
		{map[string]string{"keycloak_url": "https://sso.example.com", "keycloak_realm": "a/b"}, `--keycloak-realm: "a/b" is not a name`},
		{map[string]string{"okta_org": "https://user@dev.okta.com"}, "--okta-org"},
		{map[string]string{"entra_tenant": "common"}, "give your tenant's ID or domain"},
		{map[string]string{"okta_org": "dev.okta.com", "keycloak_url": "https://sso.example.com", "keycloak_realm": "x"}, "choose one provider preset"},
		{map[string]string{"keycloak_realm": "x"}, "belongs to the Keycloak preset"},
		{map[string]string{"okta_org": "http://okta.example.com"}, "must use https"},
	} {
		if _, err := load(c.values); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v gave %v; want an error saying %q", c.values, err, c.want)
		}
	}
}

// The config file takes the presets' keys at its top level and in an
// account's table, and latch accounts add writes them there; a preset key
// that is not a string, or a key no preset has, is refused.
func TestPresetsInTheConfigFile(t *testing.T) {
	file := t.TempDir() + "/config.toml"
	text := "# my providers\nkeycloak_url = \"https://sso.example.com\"\nkeycloak_realm = \"staff\"\nclient_id = \"latch\"\n\n[accounts.work]\nentra_tenant = \"contoso.onmicrosoft.com\"\nclient_id = \"w\"\n"
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	none := func(string) string { return "" }
	for account, want := range map[string]string{"": "https://sso.example.com/realms/staff", "work": "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"} {
		cfg, err := LoadConfig(Settings{Account: account, Set: map[string]bool{}}, none, file)
		if err != nil || cfg.Issuer != want {
			t.Errorf("account %q: the issuer is %q, %v; want %q", account, cfg.Issuer, err, want)
		}
	}
	okta := Settings{ClientID: "o", Presets: map[string]string{"okta_org": "https://dev-1.okta.com", "okta_auth_server": "aus2"}, Set: map[string]bool{"client-id": true, "okta-org": true, "okta-auth-server": true}}
	if err := SaveAccount(file, "okta", okta); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(Settings{Account: "okta", Set: map[string]bool{}}, none, file)
	if err != nil || cfg.Issuer != "https://dev-1.okta.com/oauth2/aus2" || cfg.Origin("okta_org") != "accounts.okta.okta_org in "+file {
		t.Errorf("the saved Okta account loads with the issuer %q (from %s), %v", cfg.Issuer, cfg.Origin("okta_org"), err)
	}
	if b, _ := os.ReadFile(file); !strings.HasPrefix(string(b), text) {
		t.Errorf("saving an account changed what was there:\n%s", b)
	}
	for body, want := range map[string]string{
		"okta_org = 3\n":                  "okta_org must be a string",
		"[accounts.x]\nokta_org = true\n": "accounts.x.okta_org must be a string",
		"okta_orgg = \"x\"\n":             `line 1: unknown key "okta_orgg": did you mean "okta_org"?`,
	} {
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadConfig(Settings{Set: map[string]bool{}}, none, file); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q gave %v; want an error saying %q", body, err, want)
		}
	}
}

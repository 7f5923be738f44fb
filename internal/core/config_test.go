package core

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigPrecedence(t *testing.T) {
	file := writeFile(t, `issuer = "https://file.example.test/"
client_id = "from-file"
audience = "file-aud"
scopes = ["openid", "email"]
`)
	env := envOf(map[string]string{"LATCH_CLIENT_ID": "from-env", "LATCH_AUDIENCE": "env-aud"})
	flags := Settings{Audience: "flag-aud", Set: map[string]bool{"audience": true}}
	cfg, err := LoadConfig(flags, env, file)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Issuer != "https://file.example.test/" || cfg.ClientID != "from-env" || cfg.Audience != "flag-aud" {
		t.Fatalf("got %+v, want the issuer from the file, the client ID from the environment, the audience from the flag", cfg)
	}
	if !slices.Equal(cfg.Scopes, []string{"openid", "email"}) || cfg.Sandbox {
		t.Fatalf("got scopes %v and sandbox %t, want the file's scopes and no sandbox", cfg.Scopes, cfg.Sandbox)
	}
	if cfg.Origin("issuer") != "issuer in "+file || cfg.Origin("client_id") != "LATCH_CLIENT_ID" || cfg.Origin("audience") != "--audience" {
		t.Fatalf("origins %v, want the file, LATCH_CLIENT_ID and --audience", cfg.origin)
	}
}

func TestConfigAuth0Preset(t *testing.T) {
	cfg, err := LoadConfig(Settings{}, envOf(map[string]string{"LATCH_AUTH0_DOMAIN": "tenant.eu.auth0.com", "LATCH_CLIENT_ID": "abc"}), "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Issuer != "https://tenant.eu.auth0.com/" || cfg.Audience != "https://tenant.eu.auth0.com/api/v2/" ||
		cfg.MetadataAPI != "https://tenant.eu.auth0.com/api/v2/" || strings.Join(cfg.Scopes, " ") != "openid profile email offline_access read:current_user update:current_user_metadata" {
		t.Fatalf("got %+v, want the issuer, audience, metadata API and scopes of the tenant", cfg)
	}
}

func TestConfigAPIsAndDPoP(t *testing.T) {
	file := writeFile(t, `issuer = "https://id.example.test/"
client_id = "c"
dpop = true

[apis.orders]
audience = "https://orders.example.test/"
scopes = ["orders:read", "orders:write"]

[apis.billing]
audience = "https://billing.example.test/"
`)
	cfg, err := LoadConfig(Settings{}, envOf(nil), file)
	if err != nil {
		t.Fatal(err)
	}
	orders := cfg.APIs["orders"]
	if len(cfg.APIs) != 2 || orders.Audience != "https://orders.example.test/" || !slices.Equal(orders.Scopes, []string{"orders:read", "orders:write"}) {
		t.Fatalf("APIs %+v; want orders and billing as the file declares them", cfg.APIs)
	}
	if !cfg.DPoP || cfg.ResourceParameter != "resource" {
		t.Fatalf("DPoP %t, resource parameter %q; want DPoP on and RFC 8707's resource", cfg.DPoP, cfg.ResourceParameter)
	}
	// The environment turns DPoP off again; the Auth0 preset asks for APIs
	// with audience.
	cfg, err = LoadConfig(Settings{}, envOf(map[string]string{"LATCH_DPOP": "off", "LATCH_AUTH0_DOMAIN": "t.auth0.com"}), file)
	if err != nil || cfg.DPoP || cfg.ResourceParameter != "audience" {
		t.Fatalf("got DPoP %t, parameter %q, %v; want DPoP off (LATCH_DPOP) and audience (Auth0)", cfg.DPoP, cfg.ResourceParameter, err)
	}
}

func TestConfigDefaultsToSandbox(t *testing.T) {
	cfg, err := LoadConfig(Settings{}, envOf(nil), "")
	if err != nil || !cfg.Sandbox {
		t.Fatalf("with nothing configured got %+v, %v; want the sandbox", cfg, err)
	}
	cfg, err = LoadConfig(Settings{}, envOf(map[string]string{"LATCH_ISSUER": "https://x.test", "LATCH_CLIENT_ID": "c"}), "")
	if err != nil || cfg.Sandbox {
		t.Fatalf("an issuer turns the sandbox off: %+v %v", cfg, err)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	for _, c := range []struct {
		name, file string
		env        map[string]string
		want       string
	}{
		{"unknown key", "issuer = \"https://x.test\"\nclientid = \"typo\"\n", nil, `unknown key "clientid"`},
		{"malformed file", "issuer = \n", nil, "config file"},
		{"malformed issuer", "", map[string]string{"LATCH_ISSUER": "not a url", "LATCH_CLIENT_ID": "c"}, `LATCH_ISSUER: "not a url" is not an http(s) URL`},
		{"malformed metadata API", "", map[string]string{"LATCH_ISSUER": "https://x.test", "LATCH_CLIENT_ID": "c", "LATCH_METADATA_API": "ftp://x"}, "LATCH_METADATA_API"},
		{"no client ID", "", map[string]string{"LATCH_ISSUER": "https://x.test"}, "no client ID"},
		{"plain http off this machine", "", map[string]string{"LATCH_ISSUER": "http://127.attacker.example", "LATCH_CLIENT_ID": "c"}, `LATCH_ISSUER: "http://127.attacker.example" must use https`},
		{"metadata API in clear", "", map[string]string{"LATCH_ISSUER": "https://x.test", "LATCH_CLIENT_ID": "c", "LATCH_METADATA_API": "http://api.example.test/"}, `LATCH_METADATA_API: "http://api.example.test/" must use https`},
		{"sandbox off, nothing else", "sandbox = false\n", nil, "no provider configured"},
		{"bad sandbox value", "", map[string]string{"LATCH_SANDBOX": "maybe"}, `LATCH_SANDBOX: "maybe" is not true or false`},
		{"bad auth0 domain", "", map[string]string{"LATCH_AUTH0_DOMAIN": "https://x/y", "LATCH_CLIENT_ID": "c"}, "LATCH_AUTH0_DOMAIN"},
		{"bad dpop value", "dpop = \"sometimes\"\n", nil, "config file"},
		{"API without audience", "[apis.orders]\nscopes = [\"a:b\"]\n", nil, `the API "orders" has no audience`},
		{"API audience not a URI", "[apis.orders]\naudience = \"orders\"\n", nil, "not an absolute URI"},
		{"unknown key in an API", "[apis.orders]\naudience = \"https://o.test/\"\nscope = [\"a:b\"]\n", nil, `unknown key "apis.orders.scope"`},
		{"bad API name", "[apis.\"two words\"]\naudience = \"https://o.test/\"\n", nil, "is not usable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := ""
			if c.file != "" {
				file = writeFile(t, c.file)
			}
			_, err := LoadConfig(Settings{}, envOf(c.env), file)
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a ConfigError saying %q", err, c.want)
			}
		})
	}
}

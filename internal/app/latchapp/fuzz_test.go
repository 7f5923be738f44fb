package latchapp

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchapp/latch/base/secureurl"
)

// FuzzConfigFile loads any config file: nothing panics, an error is a
// ConfigError, and a configuration accepted sends tokens in clear to this
// machine only.
func FuzzConfigFile(f *testing.F) {
	f.Add("issuer = \"https://id.test/\"\nclient_id = \"c\"\n")
	f.Add("auth0_domain = \"t.eu.auth0.com\"\nclient_id = \"c\"\nscopes = [\"openid\"]\n")
	f.Add("issuer = \"http://127.attacker.example\"\nclient_id = \"c\"\n")
	f.Add("sandbox = true\nsandbox_addr = \"127.0.0.1:1\"\n")
	f.Add("[apis.x]\n")
	f.Add("issuer = \n")
	f.Fuzz(func(t *testing.T, body string) {
		file := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(Settings{}, func(string) string { return "" }, file)
		var ce *ConfigError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("%q gave %v, want a ConfigError", body, err)
		}
		if err == nil && !cfg.Sandbox && (!secureurl.Secure(cfg.Issuer) || (cfg.MetadataAPI != "" && !secureurl.Secure(cfg.MetadataAPI))) {
			t.Fatalf("%q accepted with issuer %q and metadata API %q, want https or this machine", body, cfg.Issuer, cfg.MetadataAPI)
		}
	})
}

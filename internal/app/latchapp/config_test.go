package latchapp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
		{"bad agent value", "", map[string]string{"LATCH_AGENT": "sometimes"}, `LATCH_AGENT is auto or off, not "sometimes"`},
		{"bad agent_idle", "agent_idle = \"soon\"\n", nil, `agent_idle in`},
		{"agent in an account", "[accounts.work]\nissuer = \"https://x.test\"\nclient_id = \"c\"\nagent = \"off\"\n", nil, `unknown key "accounts.work.agent"`},
		{"bad confirm_for", "confirm_for = \"a while\"\n", nil, `confirm_for in`},
		{"confirm_for in an account", "[accounts.work]\nissuer = \"https://x.test\"\nclient_id = \"c\"\nconfirm_for = \"1m\"\n", nil, `unknown key "accounts.work.confirm_for"`},
		{"confirm not true or false", "confirm = \"yes\"\n", nil, "config file"},
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

func TestConfigAgent(t *testing.T) {
	cfg, err := LoadConfig(Settings{}, envOf(nil), "")
	if err != nil || cfg.Agent != AgentAuto || cfg.AgentIdle != 0 {
		t.Fatalf("nothing set: agent %q, idle %s, %v; want auto and the agent's default", cfg.Agent, cfg.AgentIdle, err)
	}
	file := writeFile(t, "agent = \"off\"\nagent_idle = \"1h\"\n")
	cfg, err = LoadConfig(Settings{}, envOf(nil), file)
	if err != nil || cfg.Agent != AgentOff || cfg.AgentIdle.String() != "1h0m0s" {
		t.Fatalf("the file's agent = off, agent_idle = 1h: agent %q, idle %s, %v", cfg.Agent, cfg.AgentIdle, err)
	}
	cfg, err = LoadConfig(Settings{}, envOf(map[string]string{"LATCH_AGENT": "auto"}), file)
	if err != nil || cfg.Agent != AgentAuto {
		t.Fatalf("LATCH_AGENT=auto over the file's off: agent %q, %v; want auto", cfg.Agent, err)
	}
	cfg, err = LoadConfig(Settings{Agent: "off", Set: map[string]bool{"agent": true}}, envOf(map[string]string{"LATCH_AGENT": "auto"}), file)
	if err != nil || cfg.Agent != AgentOff {
		t.Fatalf("--agent off over LATCH_AGENT=auto: agent %q, %v; want off", cfg.Agent, err)
	}
}

func TestConfigConfirm(t *testing.T) {
	file := writeFile(t, `issuer = "https://default.example.test/"
client_id = "d"
confirm_for = "90s"

[apis.prod]
audience = "https://prod.example.test/"
confirm = true

[apis.dev]
audience = "https://dev.example.test/"

[accounts.work]
issuer = "https://work.example.test/"
client_id = "w"
confirm = true
`)
	cfg, err := LoadConfig(Settings{}, envOf(nil), file)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Confirm || !slices.Equal(cfg.ConfirmAPIs, []string{"prod"}) || cfg.ConfirmFor != 90*time.Second {
		t.Fatalf("default: confirm %v, APIs %v, for %s; want false, [prod], 1m30s", cfg.Confirm, cfg.ConfirmAPIs, cfg.ConfirmFor)
	}
	for _, c := range []struct {
		name, audience string
		want           bool
	}{
		{"", "", false},
		{"prod", "https://prod.example.test/", true},
		{"dev", "https://dev.example.test/", false},
		{"other", "https://prod.example.test/", true}, // prod's audience under another name
		{"other", "https://other.example.test/", false},
	} {
		if got := cfg.Confirms(c.name, c.audience); got != c.want {
			t.Errorf("Confirms(%q, %q) = %v; want %v", c.name, c.audience, got, c.want)
		}
	}
	work, err := LoadConfig(Settings{Account: "work"}, envOf(nil), file)
	if err != nil {
		t.Fatal(err)
	}
	if !work.Confirms("", "") || work.Confirms("prod", "https://prod.example.test/") || work.ConfirmFor != 90*time.Second {
		t.Errorf("work: own %v, prod %v, for %s; want its own tokens alone, for the top level's 1m30s", work.Confirms("", ""), work.Confirms("prod", "https://prod.example.test/"), work.ConfirmFor)
	}
	none, err := LoadConfig(Settings{}, envOf(nil), "")
	if err != nil || none.ConfirmFor != DefaultConfirmFor || none.Confirm || none.ConfirmAPIs != nil {
		t.Errorf("no file: %+v, %v; want nothing confirmed, for the default %s", none, err, DefaultConfirmFor)
	}
}

func TestConfigAccounts(t *testing.T) {
	file := writeFile(t, `issuer = "https://default.example.test/"
client_id = "d"

[accounts.work]
auth0_domain = "work.eu.auth0.com"
client_id = "w"

[accounts.work.apis.orders]
audience = "https://orders.example.test/"
`)
	cfg, err := LoadConfig(Settings{}, envOf(nil), file)
	if err != nil || cfg.Account != DefaultAccount || cfg.Issuer != "https://default.example.test/" || cfg.storeKey() != "" {
		t.Fatalf("got %+v, %v; want the default account, its session under the key every Latch before accounts used", cfg, err)
	}
	cfg, err = LoadConfig(Settings{}, envOf(map[string]string{"LATCH_ACCOUNT": "work"}), file)
	if err != nil || cfg.Issuer != "https://work.eu.auth0.com/" || cfg.APIs["orders"].Audience == "" || cfg.EndSessionEndpoint != "https://work.eu.auth0.com/v2/logout" {
		t.Fatalf("got %+v, %v; want the work account's Auth0 tenant, its API and Auth0's logout", cfg, err)
	}
	if cfg.Origin("client_id") != "accounts.work.client_id in "+file {
		t.Fatalf("origin %q; want the account's table named", cfg.Origin("client_id"))
	}
	work := cfg.storeKey()
	other := cfg
	other.Account = "work2"
	if work == "" || work == other.storeKey() {
		t.Fatalf("store keys %q and %q; want two accounts at one provider kept apart", work, other.storeKey())
	}
	if err := SwitchAccount(file, "work"); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := LoadConfig(Settings{}, envOf(nil), file); cfg.Account != "work" {
		t.Fatalf("after SwitchAccount the account is %q, want work", cfg.Account)
	}
	if cfg, _ := LoadConfig(Settings{Account: "default"}, envOf(map[string]string{"LATCH_ACCOUNT": "work"}), file); cfg.Account != "default" {
		t.Fatalf("--account gave %q; want it before LATCH_ACCOUNT and the active account", cfg.Account)
	}
	for _, c := range []struct{ env, want string }{{"nobody", `there is no account "nobody"`}, {"../x", "is not an account name"}} {
		if _, err := LoadConfig(Settings{}, envOf(map[string]string{"LATCH_ACCOUNT": c.env}), file); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LATCH_ACCOUNT=%s gave %v; want %q", c.env, err, c.want)
		}
	}
}

func TestSaveAndRemoveAccountKeepTheRestOfTheFile(t *testing.T) {
	text := "# my providers\nissuer = \"https://a.example.test/\" # the first\nclient_id = \"a\"\n\n[apis.orders] # orders\naudience = \"https://orders.example.test/\"\n"
	file := writeFile(t, text)
	flags := Settings{Issuer: "https://b.example.test/", ClientID: "b", DPoP: "true", Set: map[string]bool{"issuer": true, "client-id": true, "dpop": true}}
	if _, err := NewAccountConfig(file, "b", flags); err != nil {
		t.Fatal(err)
	}
	if err := SaveAccount(file, "b", flags); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(file)
	if !strings.HasPrefix(string(got), text) || !strings.Contains(string(got), "[accounts.b]\n") {
		t.Fatalf("after SaveAccount the file is\n%s\nwant the old text, then the account's table", got)
	}
	cfg, err := LoadConfig(Settings{Account: "b"}, envOf(nil), file)
	if err != nil || cfg.Issuer != "https://b.example.test/" || !cfg.DPoP {
		t.Fatalf("the saved account reads as %+v, %v", cfg, err)
	}
	if _, err := NewAccountConfig(file, "b", flags); err == nil || !strings.Contains(err.Error(), "already") {
		t.Fatalf("a second account b: %v; want refused", err)
	}
	if _, err := NewAccountConfig(file, "c", Settings{}); err == nil || !strings.Contains(err.Error(), "needs a provider") {
		t.Fatalf("an account with no provider: %v; want refused", err)
	}
	if err := RemoveAccount(file, "b"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); string(got) != text {
		t.Fatalf("after RemoveAccount the file is\n%s\nwant it as it was:\n%s", got, text)
	}
	if err := RemoveAccount(file, "b"); err == nil {
		t.Fatal("removing an account twice succeeded")
	}
	// An account written in a way Latch does not edit is left alone.
	inline := writeFile(t, "accounts = { c = { issuer = \"https://c.example.test/\", client_id = \"c\" } }\n")
	if err := RemoveAccount(inline, "c"); err == nil || !strings.Contains(err.Error(), "edit it by hand") {
		t.Fatalf("removing an inline account: %v; want a refusal to edit", err)
	}
	if got, _ := os.ReadFile(inline); !strings.Contains(string(got), "c.example.test") {
		t.Fatal("a refused removal changed the file")
	}
}

func TestConfigErrorNamesTheLine(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line       int
		want       string
	}{
		{"misspelt key", "# Latch\nisuer = \"https://x.test\"\n", 2, `unknown key "isuer": did you mean "issuer"?`},
		{"misspelt key in an account", "issuer = \"https://x.test\"\nclient_id = \"c\"\n\n[accounts.work]\nissuer = \"https://w.test\"\nclientid = \"w\"\n", 6, `unknown key "accounts.work.clientid": did you mean "client_id"?`},
		{"unknown key far from any", "zzzzzz = 1\n", 1, `unknown key "zzzzzz" (known:`},
		{"malformed", "issuer = \"https://x.test\"\nclient_id = \n", 2, "expected value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := writeFile(t, c.text)
			_, err := LoadConfig(Settings{}, envOf(nil), file)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.File != file || ce.Line != c.line || !strings.Contains(ce.Msg, c.want) || !strings.Contains(ce.Msg, fmt.Sprintf("line %d:", c.line)) {
				t.Fatalf("got %#v; want a ConfigError at %s line %d saying %q", err, file, c.line, c.want)
			}
		})
	}
}

// Editing an account's provider replaces its issuer (or preset) and
// client, and keeps its other keys, its sub-tables, the comments and the
// rest of the file.
func TestEditAccountKeepsTheRestOfTheFile(t *testing.T) {
	head := "# my providers\nissuer = \"https://a.example.test/\"\nclient_id = \"a\"\n\n"
	work := "# work's provider\n[accounts.work] # the office\nissuer = \"https://old.example.test/\" # to change\nclient_id = \"old\"\naudience = \"https://api.example.test/\"\nconfirm = true\n\n[accounts.work.apis.orders]\naudience = \"https://orders.example.test/\"\n"
	tail := "\n# last\n[accounts.home]\nsandbox = true\n"
	file := writeFile(t, head+work+tail)
	flags := Settings{ClientID: "new", Presets: map[string]string{"auth0_domain": "tenant.eu.auth0.com"}, Set: map[string]bool{"client-id": true, "auth0-domain": true}}
	if err := EditAccount(file, "work", flags); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(file)
	want := head + "# work's provider\n[accounts.work] # the office\nauth0_domain = \"tenant.eu.auth0.com\"\nclient_id = \"new\"\naudience = \"https://api.example.test/\"\nconfirm = true\n\n[accounts.work.apis.orders]\naudience = \"https://orders.example.test/\"\n" + tail
	if string(got) != want {
		t.Fatalf("after EditAccount the file is\n%s\nwant\n%s", got, want)
	}
	cfg, err := LoadConfig(Settings{Account: "work"}, envOf(nil), file)
	if err != nil || cfg.Issuer != "https://tenant.eu.auth0.com/" || cfg.ClientID != "new" || cfg.Audience != "https://api.example.test/" || !cfg.Confirm {
		t.Fatalf("the edited account reads as %+v, %v", cfg, err)
	}
	// Back to an issuer; the sandbox account to an issuer too.
	for _, name := range []string{"work", "home"} {
		if err := EditAccount(file, name, Settings{Issuer: "https://c.example.test/", ClientID: "c", Set: map[string]bool{"issuer": true, "client-id": true}}); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(Settings{Account: name}, envOf(nil), file)
		if err != nil || cfg.Issuer != "https://c.example.test/" || cfg.Sandbox || cfg.Preset != "" {
			t.Fatalf("%s edited to an issuer reads as %+v, %v", name, cfg, err)
		}
	}
	if err := EditAccount(file, DefaultAccount, flags); err == nil || !strings.Contains(err.Error(), "top-level") {
		t.Errorf("editing the default account: %v; want it said to be edited by hand", err)
	}
	if err := EditAccount(file, "nobody", flags); err == nil || !strings.Contains(err.Error(), `no account "nobody"`) {
		t.Errorf("editing an account that is not there: %v", err)
	}
}

// An account on the sandbox takes the top level's sandbox_addr when it
// has none of its own; no other provider setting is inherited.
func TestAccountsTakeTheTopLevelsSandboxAddress(t *testing.T) {
	file := writeFile(t, "sandbox = true\nsandbox_addr = \"127.0.0.1:9999\"\nclient_id = \"top\"\n\n[accounts.dp]\nsandbox = true\n\n[accounts.own]\nsandbox = true\nsandbox_addr = \"127.0.0.1:7777\"\n\n[accounts.other]\nissuer = \"https://id.example.test/\"\nclient_id = \"other\"\n")
	for name, want := range map[string]string{"dp": "127.0.0.1:9999", "own": "127.0.0.1:7777"} {
		cfg, err := LoadConfig(Settings{Account: name}, envOf(nil), file)
		if err != nil || cfg.SandboxAddr != want {
			t.Errorf("account %s: sandbox address %q, %v; want %s", name, cfg.SandboxAddr, err, want)
		}
	}
	cfg, err := LoadConfig(Settings{Account: "other"}, envOf(nil), file)
	if err != nil || cfg.ClientID != "other" || cfg.Sandbox {
		t.Errorf("account other: %+v, %v; want its own provider alone", cfg, err)
	}
}

// Removing an account takes its comment (right above its table) with it,
// and leaves the next table's own comment.
func TestRemoveAccountTakesItsComment(t *testing.T) {
	text := "issuer = \"https://a.example.test/\"\nclient_id = \"a\"\n\n# work: the office\n[accounts.work]\nissuer = \"https://w.example.test/\"\nclient_id = \"w\"\n\n# home, kept\n[accounts.home]\nsandbox = true\n"
	file := writeFile(t, text)
	if err := RemoveAccount(file, "work"); err != nil {
		t.Fatal(err)
	}
	want := "issuer = \"https://a.example.test/\"\nclient_id = \"a\"\n\n# home, kept\n[accounts.home]\nsandbox = true\n"
	if got, _ := os.ReadFile(file); string(got) != want {
		t.Fatalf("after removing work the file is\n%s\nwant\n%s", got, want)
	}
}

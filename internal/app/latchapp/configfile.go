package latchapp

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// The TOML config file as Latch reads it: its tables and keys, and the
// reading, which refuses keys it does not know.

// fileAccount is one account's settings in the TOML config file: the
// file's top level (the account "default") or an [accounts.NAME] table.
type fileAccount struct {
	Issuer      string   `toml:"issuer,omitempty"`
	ClientID    string   `toml:"client_id,omitempty"`
	Audience    string   `toml:"audience,omitempty"`
	Scopes      []string `toml:"scopes,omitempty"`
	MetadataAPI string   `toml:"metadata_api,omitempty"`
	Sandbox     *bool    `toml:"sandbox,omitempty"`
	SandboxAddr string   `toml:"sandbox_addr,omitempty"`
	DPoP        *bool    `toml:"dpop,omitempty"`
	RedirectURL string   `toml:"redirect_url,omitempty"`
	Confirm     bool     `toml:"confirm,omitempty"`
	// APIs are [apis.NAME] tables.
	APIs map[string]fileAPI `toml:"apis,omitempty"`
	// Presets are the provider presets' values, by key (auth0_domain,
	// okta_org, ...: see [Presets]).
	Presets map[string]string `toml:"-"`
}

type fileAPI struct {
	Audience string   `toml:"audience"`
	Scopes   []string `toml:"scopes,omitempty"`
	Confirm  bool     `toml:"confirm,omitempty"`
}

// fileConfig is the TOML config file. Unknown keys are errors.
type fileConfig struct {
	fileAccount
	// Agent, AgentIdle and ConfirmFor are the person's, at the top level
	// only.
	Agent      string                 `toml:"agent,omitempty"`
	AgentIdle  string                 `toml:"agent_idle,omitempty"`
	ConfirmFor string                 `toml:"confirm_for,omitempty"`
	Accounts   map[string]fileAccount `toml:"accounts"`
}

// knownKeys is said when a file has a key Latch does not know.
func knownKeys() string {
	return strings.Join(knownKeyList(), ", ") + ", [apis.NAME] tables with audience, scopes and confirm, and [accounts.NAME] tables of the same"
}

// knownKeyList are the config file's keys.
func knownKeyList() []string {
	keys := []string{"issuer", "client_id", "audience", "scopes", "metadata_api"}
	for _, p := range Presets {
		for _, f := range p.Fields {
			keys = append(keys, f.Key)
		}
	}
	return append(keys, "sandbox", "sandbox_addr", "dpop", "redirect_url", "confirm", "agent", "agent_idle", "confirm_for")
}

// presetKey says whether key is a field of one of the [Presets].
func presetKey(key string) bool {
	for _, p := range Presets {
		for _, f := range p.Fields {
			if f.Key == key {
				return true
			}
		}
	}
	return false
}

// readConfigFile reads the config file; an empty name or a missing file
// is an empty configuration.
func readConfigFile(file string) (fileConfig, error) {
	if file == "" {
		return fileConfig{}, nil
	}
	text, err := os.ReadFile(file)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fileConfig{}, nil
	case err != nil:
		return fileConfig{}, fmt.Errorf("config file %s: %w", file, err)
	}
	fc, err := decodeConfig(string(text))
	if err != nil {
		var fe *fileError
		if !errors.As(err, &fe) {
			fe = &fileError{line: parseLine(err), err: err}
		}
		fe.file = file
		return fc, fe
	}
	return fc, nil
}

// decodeConfig reads a config file's text: its known keys, the presets'
// keys, and nothing else.
func decodeConfig(text string) (fileConfig, error) {
	var fc fileConfig
	md, err := toml.Decode(text, &fc)
	if err != nil {
		return fc, err
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		var raw map[string]any
		if _, err := toml.Decode(text, &raw); err != nil {
			return fc, err
		}
		for _, key := range undecoded {
			if err := fc.setPreset(key, raw); err != nil {
				return fc, &fileError{line: keyLine(text, key), err: err}
			}
		}
	}
	for name := range fc.Accounts {
		if err := checkAccountName(name); err != nil {
			return fc, err
		}
	}
	return fc, nil
}

// setPreset keeps the value of a preset's key that the file's decoding
// left (at the top level or in an [accounts.NAME] table), from the file
// read as raw; any other key is unknown.
func (fc *fileConfig) setPreset(key toml.Key, raw map[string]any) error {
	var fa *fileAccount
	var value any
	switch {
	case len(key) == 1 && presetKey(key[0]):
		fa, value = &fc.fileAccount, raw[key[0]]
	case len(key) == 3 && key[0] == "accounts" && presetKey(key[2]):
		accounts, _ := raw["accounts"].(map[string]any)
		table, _ := accounts[key[1]].(map[string]any)
		a := fc.Accounts[key[1]]
		defer func() { fc.Accounts[key[1]] = a }()
		fa, value = &a, table[key[2]]
	default:
		return unknownKey(key)
	}
	s, ok := value.(string)
	if !ok {
		return fmt.Errorf("%s must be a string", key.String())
	}
	if fa.Presets == nil {
		fa.Presets = map[string]string{}
	}
	fa.Presets[key[len(key)-1]] = s
	return nil
}

package latchapp

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strings"
)

// providerKeys are the keys of an account table that say its provider:
// what [EditAccount] replaces. The account's other keys (audience,
// scopes, apis, confirm, …) stay.
func providerKeys() map[string]bool {
	keys := map[string]bool{"issuer": true, "client_id": true, "sandbox": true}
	for _, p := range Presets {
		for _, f := range p.Fields {
			keys[f.Key] = true
		}
	}
	return keys
}

// EditAccount gives the account name in file the provider that flags set
// (an issuer, a preset's values or the sandbox, and the client ID), in
// place of the one it has: the table's other keys, its sub-tables, its
// comments and the rest of the file stay as they were. The default
// account is the file's top level and is edited by hand.
func EditAccount(file, name string, flags Settings) error {
	if name == DefaultAccount {
		return &ConfigError{Msg: "the default account is the config file's top-level settings; edit " + displayFile(file) + " to change it"}
	}
	before, err := readConfigFile(file)
	if err != nil {
		return asConfigError(err)
	}
	had, ok := before.Accounts[name]
	if !ok {
		return &ConfigError{Msg: fmt.Sprintf("there is no account %q in %s: see latch accounts", name, displayFile(file))}
	}
	fa, err := accountFromFlags(flags)
	if err != nil {
		return err
	}
	provider := fileAccount{Issuer: fa.Issuer, ClientID: fa.ClientID, Sandbox: fa.Sandbox, Presets: fa.Presets}
	lines, err := encodeAccount(provider)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("the config file cannot be read: %w", err)
	}
	keys := providerKeys()
	var b strings.Builder
	inside := false
	for line := range strings.SplitAfterSeq(string(old), "\n") {
		if header, ok := tableHeader(line); ok {
			inside = header == "accounts."+name
			b.WriteString(line)
			if inside {
				if !strings.HasSuffix(line, "\n") {
					b.WriteString("\n")
				}
				b.WriteString(lines)
			}
			continue
		}
		if inside {
			if key, _, ok := strings.Cut(line, "="); ok && keys[strings.Trim(strings.TrimSpace(key), `"'`)] {
				continue // the provider's old key: the new ones are above
			}
		}
		b.WriteString(line)
	}
	had.Issuer, had.ClientID, had.Sandbox, had.Presets = provider.Issuer, provider.ClientID, provider.Sandbox, maps.Clone(provider.Presets)
	want := before
	want.Accounts[name] = had
	return writeConfigChecked(file, b.String(), want)
}

// Edit checks the provider that flags name (its discovery document), then
// gives it to the account name in the config file (see [EditAccount]).
// When the provider or client changes, the account's session, which is
// the old provider's, is signed out first (revoking its refresh token);
// when that cannot be done, or the new provider cannot be used, nothing
// is changed.
func (s *Accounts) Edit(ctx context.Context, name string, flags Settings) (Config, error) {
	if name == DefaultAccount {
		return Config{}, EditAccount(s.File, name, flags) // says why not
	}
	was, err := s.Config(name)
	if err != nil {
		return Config{}, err
	}
	cfg, err := providerConfig(name, flags)
	if err != nil {
		return cfg, err
	}
	a, err := Open(ctx, cfg, s.Options)
	if err != nil {
		return cfg, err
	}
	err = a.CheckProvider(ctx)
	a.Close()
	if err != nil {
		return cfg, err
	}
	if was.storeKey() != cfg.storeKey() {
		old, err := s.Open(ctx, name)
		if err != nil {
			return cfg, err
		}
		signedOut := old.Manager.Logout(ctx)
		old.Close()
		if !SignedOut(signedOut) {
			return cfg, fmt.Errorf("the account %s is still signed in at its old provider: %w", name, signedOut)
		}
	}
	return cfg, EditAccount(s.File, name, flags)
}

package latchapp

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/latchapp/latch/base/apicheck"
	"github.com/latchapp/latch/base/atomicfile"
	"github.com/latchapp/latch/base/filelock"
)

// Accounts: a name, a provider and the person's session with it. The
// config file's top-level settings are the account "default" (what every
// Latch before accounts read); [accounts.NAME] tables are the others. The
// active account is named in a small file beside the config file, which
// the command line and the desktop app read alike.

// DefaultAccount is the account of the config file's top-level settings.
const DefaultAccount = "default"

// checkAccountName checks what an account name may be: short, and safe
// in a TOML table name, a file and a terminal.
func checkAccountName(name string) error {
	if !apicheck.Name(name, 40, "_-") {
		return fmt.Errorf("%q is not an account name: use up to 40 letters, digits, - and _, starting with a letter or digit", name)
	}
	return nil
}

// activePath is the file that names the active account, beside the
// config file; empty when there is no config file.
func activePath(file string) string {
	if file == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(file), "active-account")
}

// displayFile names the config file in messages.
func displayFile(file string) string {
	if file == "" {
		return "the configuration (no config file)"
	}
	return file
}

// ChosenAccount is the account a run works with: --account, then
// LATCH_ACCOUNT, then the active one, then "default".
func ChosenAccount(flags Settings, getenv func(string) string, file string) (string, error) {
	name, origin := flags.Account, "--account"
	if name == "" {
		name, origin = getenv("LATCH_ACCOUNT"), "LATCH_ACCOUNT"
	}
	if name == "" {
		return activeAccount(file)
	}
	if err := checkAccountName(name); err != nil {
		return "", fmt.Errorf("%s: %w", origin, err)
	}
	return name, nil
}

// ActiveAccount is the account that `latch switch` made active for file:
// "default" when none was, or its record cannot be read.
func ActiveAccount(file string) string {
	name, err := activeAccount(file)
	if err != nil {
		return DefaultAccount
	}
	return name
}

// activeAccountLimit is the most the active-account file may hold: an
// account name (40 characters) and a line break, with room to spare.
const activeAccountLimit = 64

// activeAccount is the account that `latch switch` made active for file,
// "default" when none was. The record must be a small regular file of
// the person's own in a folder no one else may write to (see
// filelock.ReadPrivate), holding an account name: anything else is an
// error that says so without its content (a link to another file, a
// FIFO, a device or a name that is not one).
func activeAccount(file string) (string, error) {
	path := activePath(file)
	if path == "" {
		return DefaultAccount, nil
	}
	b, err := filelock.ReadPrivate(path, activeAccountLimit)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return DefaultAccount, nil
	case errors.Is(err, filelock.ErrNotPrivate) || errors.Is(err, filelock.ErrTooLarge):
		return "", &ConfigError{Msg: fmt.Sprintf("the active account cannot be read: %s; remove it, then choose an account with latch switch", reasonOnly(err))}
	case err != nil:
		return "", &ConfigError{Msg: fmt.Sprintf("the active account cannot be read from %s; remove it, then choose an account with latch switch", path)}
	}
	name := strings.TrimSpace(string(b))
	if name == "" {
		return DefaultAccount, nil
	}
	if checkAccountName(name) != nil {
		return "", &ConfigError{Msg: fmt.Sprintf("%s does not hold an account name; choose an account with latch switch", path)}
	}
	return name, nil
}

// reasonOnly is why filelock refused a file, without the sentinel's
// words before it.
func reasonOnly(err error) string {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, ": "); ok {
		return after
	}
	return msg
}

// AccountNames are the accounts of the config file: "default" first, then
// the [accounts.NAME] tables in name order.
func AccountNames(file string) ([]string, error) {
	fc, err := readConfigFile(file)
	if err != nil {
		return nil, asConfigError(err)
	}
	return fc.accountNames(), nil
}

// accountNames are fc's accounts, as [AccountNames] lists them.
func (fc fileConfig) accountNames() []string {
	names := []string{DefaultAccount}
	for name := range fc.Accounts {
		names = append(names, name)
	}
	slices.Sort(names[1:])
	return names
}

// SwitchAccount makes name the active account of file, for the command
// line and the desktop app alike.
func SwitchAccount(file, name string) error {
	if file == "" {
		return &ConfigError{Msg: "there is no config file to record the active account in"}
	}
	names, err := AccountNames(file)
	if err != nil {
		return err
	}
	if !slices.Contains(names, name) {
		return &ConfigError{Msg: fmt.Sprintf("there is no account %q in %s: see latch accounts", name, file)}
	}
	if err := atomicfile.Write(activePath(file), []byte(name+"\n"), 0o600); err != nil {
		return fmt.Errorf("the active account cannot be recorded: %w", err)
	}
	return nil
}

// NewAccountConfig is the configuration of an account not saved yet,
// named name, from flags alone: check it (see [Account.CheckProvider])
// before [SaveAccount] saves it.
func NewAccountConfig(file, name string, flags Settings) (Config, error) {
	if err := checkAccountName(name); err != nil {
		return Config{}, &ConfigError{Msg: err.Error()}
	}
	names, err := AccountNames(file)
	if err != nil {
		return Config{}, err
	}
	if slices.Contains(names, name) {
		return Config{}, &ConfigError{Msg: fmt.Sprintf("there is an account %q already in %s", name, displayFile(file))}
	}
	return providerConfig(name, flags)
}

// providerConfig is the configuration of the account name from the
// provider that flags set alone: an issuer, the sandbox or a preset.
func providerConfig(name string, flags Settings) (Config, error) {
	if !flags.Set["issuer"] && !flags.Set["sandbox"] && !slices.ContainsFunc(Presets, func(p Preset) bool { return flags.Set[p.Fields[0].Flag()] }) {
		return Config{}, &ConfigError{Msg: "a new account needs a provider: --issuer and --client-id, or a preset's settings (such as --auth0-domain or --okta-org) and --client-id"}
	}
	flags.Account = ""
	cfg, err := LoadConfig(flags, func(string) string { return "" }, "")
	cfg.Account = name
	return cfg, err
}

// SaveAccount adds the account name to file, with the settings given in
// flags, as an [accounts.NAME] table at the file's end: the rest of the
// file, comments included, stays as it was.
func SaveAccount(file, name string, flags Settings) error {
	if file == "" {
		return &ConfigError{Msg: "there is no config file to save the account in"}
	}
	before, err := readConfigFile(file)
	if err != nil {
		return asConfigError(err)
	}
	fa, err := accountFromFlags(flags)
	if err != nil {
		return err
	}
	table, err := encodeAccount(fa)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the config file cannot be read: %w", err)
	}
	text := string(old)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if text != "" {
		text += "\n"
	}
	text += "[accounts." + name + "]\n" + table
	want := before
	if want.Accounts == nil {
		want.Accounts = map[string]fileAccount{}
	}
	want.Accounts[name] = fa
	return writeConfigChecked(file, text, want)
}

// accountFromFlags is the account table that the settings set in flags
// make.
func accountFromFlags(flags Settings) (fileAccount, error) {
	var fa fileAccount
	set := func(flag string, to *string, v string) {
		if flags.Set[flag] {
			*to = v
		}
	}
	set("issuer", &fa.Issuer, flags.Issuer)
	set("client-id", &fa.ClientID, flags.ClientID)
	set("audience", &fa.Audience, flags.Audience)
	set("metadata-api", &fa.MetadataAPI, flags.MetadataAPI)
	for _, p := range Presets {
		for _, f := range p.Fields {
			if flags.Set[f.Flag()] && flags.Presets[f.Key] != "" {
				if fa.Presets == nil {
					fa.Presets = map[string]string{}
				}
				fa.Presets[f.Key] = flags.Presets[f.Key]
			}
		}
	}
	set("sandbox-addr", &fa.SandboxAddr, flags.SandboxAddr)
	set("redirect-url", &fa.RedirectURL, flags.RedirectURL)
	if flags.Set["scopes"] {
		fa.Scopes = SplitScopes(flags.Scopes)
	}
	for _, b := range []struct {
		flag, value string
		to          **bool
	}{{"sandbox", flags.Sandbox, &fa.Sandbox}, {"dpop", flags.DPoP, &fa.DPoP}} {
		if flags.Set[b.flag] {
			on, err := Config{}.boolSetting(b.flag, b.value, false)
			if err != nil {
				return fileAccount{}, &ConfigError{Msg: err.Error()}
			}
			*b.to = &on
		}
	}
	return fa, nil
}

// encodeAccount is fa's keys as TOML lines, the presets' first: the
// table's own sub-tables end it.
func encodeAccount(fa fileAccount) (string, error) {
	var table bytes.Buffer
	if len(fa.Presets) > 0 {
		if err := toml.NewEncoder(&table).Encode(fa.Presets); err != nil {
			return "", fmt.Errorf("the account cannot be written: %w", err)
		}
	}
	if err := toml.NewEncoder(&table).Encode(fa); err != nil {
		return "", fmt.Errorf("the account cannot be written: %w", err)
	}
	return table.String(), nil
}

// RemoveAccount takes the account name's tables out of file, leaving the
// rest of it as it was. The default account is the file's top level and
// cannot be removed. Sign the account out first.
func RemoveAccount(file, name string) error {
	if name == DefaultAccount {
		return &ConfigError{Msg: "the default account is the config file's top-level settings; edit " + displayFile(file) + " to change it"}
	}
	before, err := readConfigFile(file)
	if err != nil {
		return asConfigError(err)
	}
	if _, ok := before.Accounts[name]; !ok {
		return &ConfigError{Msg: fmt.Sprintf("there is no account %q in %s: see latch accounts", name, displayFile(file))}
	}
	old, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("the config file cannot be read: %w", err)
	}
	// A comment right above a table (no blank line between) is the
	// table's: it goes with the removed tables, and the next table keeps
	// its own.
	var kept, removed []string
	inside := false
	for line := range strings.SplitAfterSeq(string(old), "\n") {
		if header, ok := tableHeader(line); ok {
			was := inside
			inside = header == "accounts."+name || strings.HasPrefix(header, "accounts."+name+".")
			switch {
			case inside && !was:
				kept = kept[:len(kept)-commentAbove(kept)]
			case !inside && was:
				kept = append(kept, removed[len(removed)-commentAbove(removed):]...)
			}
			removed = removed[:0]
		}
		if inside {
			removed = append(removed, line)
		} else {
			kept = append(kept, line)
		}
	}
	delete(before.Accounts, name)
	text := strings.TrimRight(strings.Join(kept, ""), "\n")
	if text != "" {
		text += "\n"
	}
	if err := writeConfigChecked(file, text, before); err != nil {
		return err
	}
	if ActiveAccount(file) == name {
		return SwitchAccount(file, DefaultAccount)
	}
	return nil
}

// commentAbove is how many of the last lines are comment lines, with no
// blank line after them: the comment of a table header that follows.
func commentAbove(lines []string) int {
	n := 0
	for n < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[len(lines)-1-n]), "#") {
		n++
	}
	return n
}

// tableHeader is the name of the table a line opens ("accounts.work"),
// spaces taken out; ok is false for any other line.
func tableHeader(line string) (string, bool) {
	t := strings.TrimSpace(line)
	if i := strings.Index(t, "#"); i > 0 && strings.HasSuffix(strings.TrimSpace(t[:i]), "]") {
		t = strings.TrimSpace(t[:i])
	}
	if !strings.HasPrefix(t, "[") || !strings.HasSuffix(t, "]") {
		return "", false
	}
	t = strings.Trim(t, "[]")
	return strings.ReplaceAll(t, " ", ""), true
}

// writeConfigChecked writes text to file when it reads back as want, and
// says the file must be edited by hand otherwise: an edit of the text
// never changes what the file means beyond the account it is for.
func writeConfigChecked(file, text string, want fileConfig) error {
	got, err := decodeConfig(text)
	if err != nil || !reflect.DeepEqual(normalized(got), normalized(want)) {
		return &ConfigError{Msg: "Latch cannot change " + file + " safely (its accounts are written in a way Latch does not edit); edit it by hand"}
	}
	if err := atomicfile.WriteThrough(file, []byte(text), 0o600); err != nil {
		return fmt.Errorf("the config file cannot be written: %w", err)
	}
	return nil
}

// normalized makes empty maps nil, so that two readings of one meaning
// compare equal.
func normalized(fc fileConfig) fileConfig {
	if len(fc.Accounts) == 0 {
		fc.Accounts = nil
	}
	if len(fc.APIs) == 0 {
		fc.APIs = nil
	}
	for name, a := range fc.Accounts {
		if len(a.APIs) == 0 {
			a.APIs = nil
			fc.Accounts[name] = a
		}
	}
	return fc
}

// AccountName is the account's name: [DefaultAccount] for a
// configuration that names none (one made by hand, not by [LoadConfig]).
func (c Config) AccountName() string { return cmp.Or(c.Account, DefaultAccount) }

// storeKey names an account's session in the keychain: the default
// account keeps the session's own key (so that a session stored before
// accounts is still found); another is named by its name and provider,
// so that two accounts at one provider are two sessions, and an account
// whose provider changed does not read the old provider's session.
func (c Config) storeKey() string {
	if c.AccountName() == DefaultAccount {
		return ""
	}
	sum := sha256.Sum256([]byte(c.Issuer + "\n" + c.ClientID + "\n" + c.Account))
	return "account-" + hex.EncodeToString(sum[:8])
}

package latchapp

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"
)

// DefaultConfirmFor is how long "Allow this program" lasts when the
// config file sets no confirm_for.
const DefaultConfirmFor = 10 * time.Minute

// ErrNeedsApp is the answer for a token that the configuration marks
// confirm = true, where no desktop app can ask the person: the command's
// own process, or a headless agent.
var ErrNeedsApp = errors.New("this token is handed out only when you allow it in Latch's desktop app: open the app and run the command again")

// ErrDenied is the answer for a token the person refused in the desktop
// app.
var ErrDenied = errors.New("you denied this token in Latch's window")

// Confirms says whether the token name (empty for the account's own
// access or ID token), for audience, is handed out only once the person
// allows it: the account's confirm for its own tokens; for a named token,
// confirm on its API, or on any API of the same audience (a token asked
// for under another name is the same token).
func (c Config) Confirms(name, audience string) bool {
	if name == "" {
		return c.Confirm
	}
	if slices.Contains(c.ConfirmAPIs, name) {
		return true
	}
	for _, n := range c.ConfirmAPIs {
		if api, ok := c.APIs[n]; ok && audience != "" && api.Audience == audience {
			return true
		}
	}
	return false
}

// SameSession says whether c and o are the configurations of the same
// session in the keychain: the same provider, client and account.
func (c Config) SameSession(o Config) bool {
	return c.Issuer == o.Issuer && c.ClientID == o.ClientID && c.storeKey() == o.storeKey()
}

// Confirms says whether the token name, for audience, of the session cfg
// configures is handed out only once the person allows it: as cfg says,
// or as the config file of s says for any of its accounts that is the
// same session. The file is read afresh each time (once), and a request
// cannot lower what it says: cfg comes from the program that asks.
func (s *Accounts) Confirms(cfg Config, name, audience string) (bool, error) {
	if cfg.Confirms(name, audience) {
		return true, nil
	}
	fc, err := readConfigFile(s.File)
	if err != nil {
		return false, asConfigError(err)
	}
	for _, n := range fc.accountNames() {
		fileCfg, err := configFrom(Settings{Account: n}, func(string) string { return "" }, fc, s.File)
		if err != nil {
			continue // an account that cannot be read is not this session
		}
		if fileCfg.SameSession(cfg) && fileCfg.Confirms(name, audience) {
			return true, nil
		}
	}
	return false, nil
}

// Confirms says whether the token name (empty for the account's own) is
// handed out only once the person allows it: as the account's
// configuration says (see [Config.Confirms]), or, with file, as the
// person's config file says too (see [Accounts.Confirms]).
func (a *Account) Confirms(ctx context.Context, name string, file *Accounts) (bool, error) {
	var audience string
	if name != "" {
		var err error
		if audience, err = a.KnownAPI(ctx, name); err != nil {
			return false, err
		}
	}
	if file != nil {
		return file.Confirms(a.Config, name, audience)
	}
	return a.Config.Confirms(name, audience), nil
}

// ConfirmFor is how long "Allow this program" lasts: confirm_for in the
// config file, else [DefaultConfirmFor] (also when the file cannot be
// read).
func (s *Accounts) ConfirmFor() time.Duration {
	fc, err := readConfigFile(s.File)
	if err != nil {
		return DefaultConfirmFor
	}
	d, err := confirmFor(fc.ConfirmFor, s.File)
	if err != nil {
		return DefaultConfirmFor
	}
	return d
}

// confirmFor reads confirm_for, the file's top-level value.
func confirmFor(value, file string) (time.Duration, error) {
	d, err := fileDuration("confirm_for", value, "10m", file)
	return cmp.Or(d, DefaultConfirmFor), err
}

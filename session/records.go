package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// A session keeps several items in the store, each under the
// credentials' key ([Config.StoreKey]) and a suffix: the session's own
// token (the credentials, under the key itself), the named tokens (all in
// one item, ".apis", so that a write of them is whole or not at all), the
// DPoP key (".dpop") and the queue of revocations (".revoke"). They go
// with the credentials: [vault.remove] deletes them all. Their encodings
// are kept from one release to the next, so that an upgrade signs no one
// out.

// record is a token as the store keeps it: what it was issued for (for a
// named token, the API) and the token. The session's own token is the
// record of no API, stored as its credentials alone.
type record struct {
	Audience string   `json:"audience,omitempty"`
	Scopes   []string `json:"scopes,omitempty"`
	Token    stored   `json:"token"`
}

func (r record) api() API { return API{Audience: r.Audience, Scopes: slices.Clone(r.Scopes)} }

func (r record) credentials() *Credentials {
	c := Credentials(r.Token)
	return &c
}

func recordOf(api API, c *Credentials) record {
	return record{Audience: api.Audience, Scopes: slices.Clone(api.Scopes), Token: stored(*c)}
}

func (v *vault) namedKey() string { return v.key + ".apis" }
func (v *vault) dpopKey() string  { return v.key + ".dpop" }

// readNamed returns the named tokens stored, by name; an empty map when
// there are none.
func (v *vault) readNamed(ctx context.Context) (map[string]record, error) {
	b, err := v.current().Get(ctx, v.namedKey())
	if errors.Is(err, ErrNotFound) {
		return map[string]record{}, nil
	}
	if err != nil {
		return nil, err
	}
	records := map[string]record{}
	if err := json.Unmarshal(b, &records); err != nil {
		return nil, fmt.Errorf("%w: named tokens: %w", ErrCorruptValue, err)
	}
	return records, nil
}

// writeNamed replaces the named tokens stored. The caller holds the lock.
func (v *vault) writeNamed(ctx context.Context, records map[string]record) error {
	var b []byte
	if len(records) > 0 {
		var err error
		if b, err = json.Marshal(records); err != nil {
			return fmt.Errorf("saving named tokens: %w", err)
		}
	}
	if err := v.put(ctx, v.namedKey(), b, "named tokens"); err != nil {
		return err
	}
	v.bump()
	return nil
}

// put stores value under key, or removes key when value is nil (none
// stored is no error); what names the value in errors.
func (v *vault) put(ctx context.Context, key string, value []byte, what string) error {
	if value == nil {
		if err := v.current().Delete(ctx, key); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("removing %s: %w", what, err)
		}
		return nil
	}
	if err := v.current().Set(ctx, key, value); err != nil {
		return fmt.Errorf("saving %s: %w", what, err)
	}
	return nil
}

// readKey returns the DPoP key stored, or an error wrapping [ErrNotFound].
func (v *vault) readKey(ctx context.Context) (*dpopKey, error) {
	b, err := v.current().Get(ctx, v.dpopKey())
	if err != nil {
		return nil, err
	}
	return parseDPoPKey(b)
}

// writeKey stores k, or removes the stored key when k is nil. The caller
// holds the lock.
func (v *vault) writeKey(ctx context.Context, k *dpopKey) error {
	var b []byte
	if k != nil {
		var err error
		if b, err = k.marshal(); err != nil {
			return fmt.Errorf("saving the DPoP key: %w", err)
		}
	}
	return v.put(ctx, v.dpopKey(), b, "the DPoP key")
}

// removeItems deletes the named tokens and the DPoP key. The caller holds
// the lock.
func (v *vault) removeItems(ctx context.Context) error {
	return errors.Join(v.put(ctx, v.namedKey(), nil, "named tokens"), v.put(ctx, v.dpopKey(), nil, "the DPoP key"))
}

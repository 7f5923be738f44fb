package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Clear removes the credentials from memory and the store, without telling
// the provider. Use [Manager.Logout] to sign out.
func (m *Manager) Clear(ctx context.Context) error {
	err := m.vault.remove(ctx)
	m.mu.Lock()
	m.loaded = err == nil // when not removed, the next read sees what is there
	m.setLocked(nil, false)
	m.mu.Unlock()
	m.publish(StateSignedOut, err)
	return err
}

// Logout signs out: it revokes the refresh token at the provider (RFC 7009)
// when the provider has a revocation endpoint, then clears every local
// credential, even when revocation failed. A revocation failure is
// returned (as a [*ProviderError] or wrapping [ErrProviderUnreachable])
// after the local credentials are gone.
func (m *Manager) Logout(ctx context.Context) error {
	var revokeErr error
	c, err := m.load(ctx)
	if err != nil {
		// The store cannot be read; still clear what can be cleared.
		revokeErr = err
	}
	if c != nil {
		token, hint := c.RefreshToken, "refresh_token"
		if token == "" {
			token, hint = c.AccessToken, "access_token"
		}
		revokeErr = m.revoke(ctx, token, hint)
	}
	lockCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	lock, lerr := m.vault.lock(lockCtx)
	cancel()
	if lerr == nil {
		defer lock.release()
	}
	clearErr := m.Clear(ctx)
	return errors.Join(clearErr, revokeErr)
}

// revoke asks the provider to revoke token. No revocation endpoint is no
// error: there is nothing to ask.
func (m *Manager) revoke(ctx context.Context, token, hint string) error {
	p, err := m.Provider(ctx)
	if err != nil {
		return fmt.Errorf("revocation: %w", err)
	}
	if p.RevocationEndpoint == "" {
		return nil
	}
	form := url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {m.cfg.ClientID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.RevocationEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revocation: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("revocation: %w: %w", ErrProviderUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return readProviderError("revocation", resp)
}

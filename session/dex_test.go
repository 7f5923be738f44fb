package session

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/dexprovider"
)

// TestDexEndsTheSessionOnADeadRefreshToken runs against Dex, which refuses
// a refresh token past its lifetime with invalid_request instead of
// invalid_grant, and has no revocation endpoint.
func TestDexEndsTheSessionOnADeadRefreshToken(t *testing.T) {
	t.Parallel()
	dex := dexprovider.Start(t, dexprovider.Options{RefreshLifetime: 6 * time.Second})
	e := newEnvOn(t, peer{name: "dex", issuer: dex.Issuer, clientID: dexprovider.ClientID,
		user: dexprovider.Account.Email, password: dexprovider.Account.Password, subject: dexprovider.Account.Subject})
	m := e.manager(manual)
	first := e.login(m)
	renewed, err := m.Renew(bg(t))
	if err != nil || renewed.RefreshToken == first.RefreshToken {
		t.Fatalf("a renewal within the lifetime gave %v, want a rotated refresh token", err)
	}
	time.Sleep(7 * time.Second) // past the refresh token's 6-second lifetime
	_, err = m.Renew(bg(t))
	var pe *ProviderError
	if !errors.Is(err, ErrSignInRequired) || !errors.As(err, &pe) || !strings.Contains(strings.ToLower(pe.Description), "expired") {
		t.Fatalf("a renewal past the lifetime gave %v, want the session ended because the refresh token expired", err)
	}
	if canRenew(bg(t), m) || len(e.store.(*memStore).Keys()) != 0 {
		t.Fatal("the dead refresh token is still held, want the session ended and the store empty")
	}
	if st := m.State(); st.State != StateEnded {
		t.Errorf("state %v, want ended", st.State)
	}

	// Signing in again works, and signing out says that Dex cannot revoke.
	e.login(m)
	if err := m.Logout(bg(t)); !errors.Is(err, ErrRevocationUnsupported) {
		t.Fatalf("Logout on Dex gave %v, want ErrRevocationUnsupported", err)
	}
	if keys := e.store.(*memStore).Keys(); len(keys) != 0 {
		t.Fatalf("the store holds %v after Logout, want nothing", keys)
	}
}

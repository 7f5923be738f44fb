package session

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// userinfoSubject GETs the provider's userinfo endpoint with client and
// returns the sub it answers with.
func userinfoSubject(t *testing.T, m *Manager, client *http.Client) (string, error) {
	t.Helper()
	p, err := m.Provider(bg(t))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(bg(t), http.MethodGet, p.UserinfoEndpoint, nil)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo answered %s, want 200 OK", resp.Status)
	}
	var body struct {
		Sub string `json:"sub"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Sub, nil
}

func TestSessionServesTheOAuth2Ecosystem(t *testing.T) {
	t.Parallel()
	forEachPeer(t, time.Minute, func(t *testing.T, e *env) {
		m := e.manager(manual)
		e.login(m)

		var src oauth2.TokenSource = m.TokenSource(30 * time.Second)
		tok, err := src.Token()
		if err != nil || !tok.Valid() || tok.RefreshToken != "" {
			t.Fatalf("Token() gave %+v, %v; want a valid token without the refresh token", tok, err)
		}
		if sub, err := userinfoSubject(t, m, oauth2.NewClient(bg(t), src)); err != nil || sub != e.peer.subject {
			t.Fatalf("oauth2.NewClient on the session: userinfo sub %q, %v; want %q", sub, err, e.peer.subject)
		}

		// Manager.Client builds on the HTTP client of the context, as
		// oauth2.NewClient does.
		rec := &recorder{}
		ctx := context.WithValue(bg(t), oauth2.HTTPClient, &http.Client{Transport: rec})
		if sub, err := userinfoSubject(t, m, m.Client(ctx)); err != nil || sub != e.peer.subject {
			t.Fatalf("Manager.Client: userinfo sub %q, %v; want %q", sub, err, e.peer.subject)
		}
		if rec.count() != 1 {
			t.Errorf("the context's client sent %d requests, want 1", rec.count())
		}

		// Signed out: no request goes out, and the caller learns why.
		if err := m.clear(bg(t)); err != nil {
			t.Fatal(err)
		}
		if _, err := userinfoSubject(t, m, m.Client(ctx)); !errors.Is(err, ErrNoCredentials) {
			t.Errorf("signed out, Manager.Client gave %v, want ErrNoCredentials", err)
		}
		if rec.count() != 1 {
			t.Errorf("signed out, %d requests were sent, want none more", rec.count()-1)
		}
		if _, err := src.Token(); !errors.Is(err, ErrNoCredentials) {
			t.Errorf("signed out, Token() gave %v, want ErrNoCredentials", err)
		}
	})
}

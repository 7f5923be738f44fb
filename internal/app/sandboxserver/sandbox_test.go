package sandboxserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/sessiontest"
	"github.com/latchapp/latch/profile"
	"github.com/latchapp/latch/session"
)

// start runs a sandbox on a free loopback port with its state in a
// temporary folder, or in state.
func start(t *testing.T, state string) *sandboxserver.Server { return sandboxtest.Start(t, state, 0) }

func signIn(t *testing.T, srv *sandboxserver.Server, username, password string, scopes ...string) (*session.Manager, *session.Credentials) {
	t.Helper()
	return signInWith(t, srv, username, password, func(c *session.Config) {
		if len(scopes) > 0 {
			c.Scopes = scopes
		}
	})
}

// signInWith signs in as signIn does, with the configuration changed by
// adjust first.
func signInWith(t *testing.T, srv *sandboxserver.Server, username, password string, adjust func(*session.Config)) (*session.Manager, *session.Credentials) {
	t.Helper()
	cfg := session.Config{Issuer: srv.Issuer(), ClientID: sandboxserver.ClientID,
		Scopes:  []string{"openid", "profile", "email", "offline_access", sandboxserver.ScopeReadCurrentUser, sandboxserver.ScopeUpdateCurrentUserMD},
		LockDir: t.TempDir(), ManualRenewal: true}
	adjust(&cfg)
	m := sessiontest.NewManager(t, cfg)
	creds := sessiontest.Login(t, m, username, password)
	return m, creds
}

func TestSignInAndProfileClaims(t *testing.T) {
	srv := start(t, "")
	m, creds := signIn(t, srv, "demo", "demo")
	claims, err := creds.Claims()
	if err != nil {
		t.Fatal(err)
	}
	if claims["sub"] != "sandbox|demo" || claims["name"] != "Dana Demo" || claims["email_verified"] != true || claims["given_name"] != "Dana" {
		t.Fatalf("ID token claims %v, want Dana Demo (sandbox|demo) with a verified email", claims)
	}
	pic, _ := claims["picture"].(string)
	resp, err := http.Get(pic)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("avatar %q: %v, %v; want 200 image/png", pic, err, resp)
	}
	resp.Body.Close()
	if creds.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	renewed, err := m.Renew(context.Background())
	if err != nil || renewed.RefreshToken == creds.RefreshToken {
		t.Fatalf("renewal gave %v, want a rotated refresh token", err)
	}
}

// mgmt calls the Management API with token.
func mgmt(t *testing.T, srv *sandboxserver.Server, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			r = strings.NewReader(b)
		default:
			raw, _ := json.Marshal(b)
			r = bytes.NewReader(raw)
		}
	}
	req, _ := http.NewRequest(method, srv.MetadataAPI()+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func userPath(sub string) string { return "users/" + url.PathEscape(sub) }

func TestManagementAPIRules(t *testing.T) {
	srv := start(t, "")
	_, creds := signIn(t, srv, "demo", "demo")
	tok := creds.AccessToken
	me := userPath("sandbox|demo")
	patch := func(md any) (int, map[string]any) {
		return mgmt(t, srv, http.MethodPatch, me, tok, map[string]any{"user_metadata": md})
	}
	metadata := func() map[string]any {
		code, u := mgmt(t, srv, http.MethodGet, me, tok, nil)
		if code != 200 {
			t.Fatalf("GET answered %d %v, want 200", code, u)
		}
		return u["user_metadata"].(map[string]any)
	}

	t.Run("root-level merge", func(t *testing.T) {
		if code, _ := patch(map[string]any{"theme": "dark", "prefs": map[string]any{"a": 1, "b": 2}}); code != 200 {
			t.Fatal(code)
		}
		if code, _ := patch(map[string]any{"lang": "en"}); code != 200 {
			t.Fatal(code)
		}
		md := metadata()
		if md["theme"] != "dark" || md["lang"] != "en" {
			t.Fatalf("metadata %v, want theme and lang merged at the root", md)
		}
	})
	t.Run("nested objects replaced whole", func(t *testing.T) {
		patch(map[string]any{"prefs": map[string]any{"c": 3}})
		prefs := metadata()["prefs"].(map[string]any)
		if len(prefs) != 1 || prefs["c"] != float64(3) {
			t.Fatalf("prefs %v, want the nested object replaced whole by {c: 3}", prefs)
		}
	})
	t.Run("null deletes a key", func(t *testing.T) {
		patch(map[string]any{"lang": nil})
		if _, ok := metadata()["lang"]; ok {
			t.Fatal("lang still there")
		}
	})
	t.Run("empty object changes nothing", func(t *testing.T) {
		before := metadata()
		if code, _ := patch(map[string]any{}); code != 200 {
			t.Fatal(code)
		}
		if after := metadata(); len(after) != len(before) || after["theme"] != "dark" {
			t.Fatalf("metadata went from %v to %v, want it unchanged", before, after)
		}
	})
	t.Run("dot and dollar in key names rejected", func(t *testing.T) {
		for _, key := range []string{"a.b", "$set"} {
			code, body := patch(map[string]any{key: 1})
			if code != 400 || body["statusCode"] != float64(400) || body["error"] != "Bad Request" || body["message"] == "" || body["errorCode"] == "" {
				t.Fatalf("key %q answered %d %v, want 400 in Auth0's error shape", key, code, body)
			}
		}
		code, _ := patch(map[string]any{"ok": map[string]any{"nested.dot": 1}})
		if code != 400 {
			t.Fatalf("a nested key with a dot answered %d, want 400", code)
		}
		if _, ok := metadata()["ok"]; ok {
			t.Fatal("a rejected change was stored")
		}
	})
	t.Run("size limit", func(t *testing.T) {
		if sandboxserver.MaxMetadataBytes != profile.MaxMetadataBytes {
			t.Fatal("the sandbox's limit differs from the one Latch keeps to")
		}
		code, body := patch(map[string]any{"big": strings.Repeat("x", sandboxserver.MaxMetadataBytes)})
		if code != 400 || !strings.Contains(body["message"].(string), "exceeds") {
			t.Fatalf("too much metadata answered %d %v, want 400 saying it exceeds the limit", code, body)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		code, body := mgmt(t, srv, http.MethodPatch, me, tok, `{"user_metadata": [1,2]}`)
		if code != 400 || body["errorCode"] != "invalid_body" {
			t.Fatalf("an array as user_metadata answered %d %v, want 400 invalid_body", code, body)
		}
		code, _ = mgmt(t, srv, http.MethodPatch, me, tok, `{not json`)
		if code != 400 {
			t.Fatal(code)
		}
	})
	t.Run("fields and include_fields", func(t *testing.T) {
		code, u := mgmt(t, srv, http.MethodGet, me+"?fields=user_metadata,email", tok, nil)
		if code != 200 || len(u) != 2 || u["email"] == nil || u["user_metadata"] == nil {
			t.Fatalf("fields=user_metadata,email answered %d %v, want those two fields only", code, u)
		}
		code, u = mgmt(t, srv, http.MethodGet, me+"?fields=user_metadata&include_fields=false", tok, nil)
		if code != 200 || u["user_metadata"] != nil || u["email"] == nil {
			t.Fatalf("include_fields=false answered %d %v, want every field but user_metadata", code, u)
		}
	})
	t.Run("another user's record is forbidden", func(t *testing.T) {
		code, body := mgmt(t, srv, http.MethodGet, userPath("sandbox|ada"), tok, nil)
		if code != 403 || body["statusCode"] != float64(403) {
			t.Fatalf("another user's record answered %d %v, want 403", code, body)
		}
		code, _ = mgmt(t, srv, http.MethodPatch, userPath("sandbox|ada"), tok, map[string]any{"user_metadata": map[string]any{"x": 1}})
		if code != 403 {
			t.Fatal(code)
		}
	})
	t.Run("no or bad token", func(t *testing.T) {
		if code, _ := mgmt(t, srv, http.MethodGet, me, "", nil); code != 401 {
			t.Fatal(code)
		}
		if code, _ := mgmt(t, srv, http.MethodGet, me, "forged", nil); code != 401 {
			t.Fatal(code)
		}
	})
}

func TestManagementAPIScopes(t *testing.T) {
	srv := start(t, "")
	_, creds := signIn(t, srv, "ada", "lovelace", "openid", "profile", "offline_access")
	me := userPath("sandbox|ada")
	if code, body := mgmt(t, srv, http.MethodGet, me, creds.AccessToken, nil); code != 403 || body["errorCode"] != "insufficient_scope" {
		t.Fatalf("read without read:current_user answered %d %v, want 403 insufficient_scope", code, body)
	}
	_, readOnly := signIn(t, srv, "ada", "lovelace", "openid", "offline_access", sandboxserver.ScopeReadCurrentUser)
	if code, _ := mgmt(t, srv, http.MethodGet, me, readOnly.AccessToken, nil); code != 200 {
		t.Fatalf("read with read:current_user answered %d, want 200", code)
	}
	if code, _ := mgmt(t, srv, http.MethodPatch, me, readOnly.AccessToken, map[string]any{"user_metadata": map[string]any{"x": 1}}); code != 403 {
		t.Fatalf("patch without update:current_user_metadata answered %d, want 403", code)
	}
}

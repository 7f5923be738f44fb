package session

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchapp/latch/base/dpopcheck"
	"github.com/latchapp/latch/internal/testing/faultproxy"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

func TestProofNamesTheRequestAndTheKey(t *testing.T) {
	key, err := newDPoPKey()
	if err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse("https://api.example.test/v1/orders?page=2#top")
	p, err := key.proof(http.MethodPost, target, "n-1", "the-token", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, target.String(), nil)
	req.Header.Set("DPoP", p)
	// The server's own check, written apart from this code: htu without
	// query and fragment, ath of the token, the key's thumbprint.
	got, err := dpopcheck.Verify(req, "https://api.example.test/v1/orders", "the-token", time.Now())
	if err != nil {
		t.Fatalf("the proof does not verify: %v", err)
	}
	if got.Thumbprint != key.thumbprint || got.Nonce != "n-1" {
		t.Fatalf("the proof gives thumbprint %q and nonce %q; want %q (RFC 7638) and n-1", got.Thumbprint, got.Nonce, key.thumbprint)
	}
	if _, err := dpopcheck.Verify(req, target.String(), "another-token", time.Now()); err == nil {
		t.Fatal("the proof verified for another token; want ath to bind it")
	}
	again, _ := key.proof(http.MethodPost, target, "", "", time.Now())
	if again == p || strings.Contains(again, "nonce") {
		t.Fatal("two proofs are equal, or one carries a nonce it was not given")
	}
	stored, _ := key.marshal()
	back, err := parseDPoPKey(stored)
	if err != nil || back.thumbprint != key.thumbprint {
		t.Fatalf("the stored key reads back as %v, %v; want the same key", back, err)
	}
	if _, err := parseDPoPKey([]byte("not a key")); err == nil {
		t.Fatal("a corrupt stored key was accepted")
	}
}

func TestNonceChallengeIsAnsweredOnce(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if string(body) != "grant_type=x" {
			t.Errorf("request %d came with body %q; want it whole each time", n, body)
		}
		w.Header().Set("DPoP-Nonce", "fresh")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"use_dpop_nonce"}`)
	}))
	defer srv.Close()
	key, _ := newDPoPKey()
	nonces := &dpopNonces{}
	client := &http.Client{Transport: &proofTransport{key: key, nonces: nonces, now: time.Now}}
	resp, err := client.Post(srv.URL+"/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=x"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if calls.Load() != 2 || !strings.Contains(string(body), "use_dpop_nonce") {
		t.Fatalf("%d requests, last answer %q; want one retry, then the server's answer passed on", calls.Load(), body)
	}
	u, _ := url.Parse(srv.URL)
	if nonces.get(u) != "fresh" {
		t.Fatal("the server's nonce was not remembered")
	}

	// A body that cannot be read again is sent once.
	calls.Store(0)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token", io.NopCloser(strings.NewReader("grant_type=x")))
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if calls.Load() != 1 {
		t.Fatalf("a body without GetBody was sent %d times; want once", calls.Load())
	}
}

func TestChangedKeyEndsTheSession(t *testing.T) {
	e := newEnv(t, time.Minute)
	m := e.manager(manual, withDPoP)
	e.login(m)
	other, err := newDPoPKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := other.marshal()
	if err := e.store.Set(bg(t), m.cfg.StoreKey+".dpop", b); err != nil {
		t.Fatal(err)
	}
	_, err = m.Renew(bg(t))
	if !errors.Is(err, ErrDPoPKeyLost) {
		t.Fatalf("renewing with another key stored gave %v; want ErrDPoPKeyLost", err)
	}
	if s := m.State(); s.State != StateEnded || !errors.Is(s.Err, ErrDPoPKeyLost) {
		t.Fatalf("the state is %v (%v); want ended for the changed key", s.State, s.Err)
	}
}

// TestDPoPCannotBeDowngraded has the token endpoint answer a DPoP-proved
// request with a Bearer token, as a provider that ignores DPoP (or
// someone in between) would: at sign-in nothing is stored, at a renewal
// the bound credentials are kept; both are refused, saying why.
func TestDPoPCannotBeDowngraded(t *testing.T) {
	e, proxy := newEnvBehindProxy(t, time.Minute)
	m := e.manager(manual, withDPoP)
	unbound := &faultproxy.Fault{Status: http.StatusOK, ContentType: "application/json",
		Body: `{"access_token":"unbound","token_type":"Bearer","expires_in":60,"refresh_token":"r","scope":"openid"}`}

	proxy.SetFault(unbound)
	b := testbrowser.NewBrowser(e.peer.user, e.peer.password)
	_, err := m.LoginWithBrowser(bg(t), BrowserLogin{OpenURL: b.OpenURL})
	if !errors.Is(err, ErrClientRejected) || !strings.Contains(err.Error(), "not bound to the key") {
		t.Fatalf("a Bearer token for a DPoP sign-in gave %v; want it refused as not bound", err)
	}
	if keys := e.store.(*memStore).Keys(); len(keys) != 0 {
		t.Fatalf("the store holds %v after the refused sign-in; want nothing", keys)
	}

	proxy.SetFault(nil)
	bound := e.login(m)
	proxy.SetFault(unbound)
	if _, err := m.Renew(bg(t)); !errors.Is(err, ErrClientRejected) {
		t.Fatalf("a Bearer token for a DPoP renewal gave %v; want it refused", err)
	}
	proxy.SetFault(nil)
	held, err := m.Held(bg(t))
	if err != nil || held.AccessToken != bound.AccessToken || !held.bound() {
		t.Fatalf("after the refused renewal the session holds %v, %v; want the bound credentials kept", held, err)
	}
}

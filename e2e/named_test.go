//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/latchapp/latch/internal/app/latchapp"
	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/apiserver"
	"github.com/latchapp/latch/internal/testing/keyringtest"
)

// shell runs a pipeline with the binary as $LATCH and returns its output.
func shell(t *testing.T, env []string, pipeline string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", "-c", pipeline)
	cmd.Env = append(env, "LATCH="+latchBinary(t))
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%w: %s", err, errb.String())
	}
	return string(out), nil
}

// TestBinaryNamedTokensAndHeaders declares two APIs and DPoP in the config
// file, signs in once, and uses named tokens from several processes of
// the binary, and headers with curl, as a script would.
// It runs once with the agent off and once through the agent, which
// then keeps the DPoP key and makes the proofs.
func TestBinaryNamedTokensAndHeaders(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; scripts/deps installs it")
	}
	t.Run("agent off", func(t *testing.T) { namedTokensAndHeaders(t, home(t)) })
	t.Run("through the agent", func(t *testing.T) {
		env := withAgent(t, home(t))
		namedTokensAndHeaders(t, env)
		// The commands started it; the sign-out had it let the session go.
		if st := statusOfAgent(t, latchBinary(t), env); len(st.Accounts) != 0 {
			t.Fatalf("agent status %+v after latch logout; want no session held", st)
		}
	})
}

func namedTokensAndHeaders(t *testing.T, env []string) {
	issuer, _ := startSandbox(t, env, "127.0.0.1:0")
	const orders, billing = "https://orders.example.test/", "https://billing.example.test/"
	writeConfig(t, env, fmt.Sprintf(`issuer = %q
client_id = %q
metadata_api = %q
dpop = true

[apis.orders]
audience = %q
scopes = ["orders:read"]

[apis.billing]
audience = %q
scopes = ["billing:read"]
`, issuer, sandboxserver.ClientID, issuer+"/api/v2/", orders, billing))
	loginNoBrowser(t, env, "demo", "demo")
	api := apiserver.Start(t, issuer, orders, apiserver.Options{})

	// Four processes ask for the orders token at once: one asks the
	// provider, the others find it in the keychain.
	var wg sync.WaitGroup
	tokens := make([]string, 4)
	for i := range tokens {
		wg.Go(func() {
			code, out, errOut := latch(t, env, "token", "--name", "orders")
			if code != 0 {
				t.Errorf("token --name orders exit %d: %s", code, errOut)
			}
			tokens[i] = strings.TrimSpace(out)
		})
	}
	wg.Wait()
	for _, tok := range tokens {
		if tok == "" || tok != tokens[0] {
			t.Fatalf("four processes printed different orders tokens; want one token, asked for once")
		}
	}
	if code, _, errOut := latch(t, env, "token", "--name", "billing"); code != 0 {
		t.Fatalf("token --name billing exit %d: %s", code, errOut)
	}

	code, out, errOut := latch(t, env, "tokens", "--json")
	var list []struct {
		Name, Audience string
		Scopes         []string
		DPoP           bool
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 || list[1].Name != "orders" || list[1].Audience != orders || !list[1].DPoP {
		t.Fatalf("tokens --json exit %d: %s %s; want billing and orders, DPoP-bound", code, out, errOut)
	}
	if strings.Contains(out, tokens[0]) {
		t.Fatal("latch tokens printed a token; it must list them only")
	}
	code, out, _ = latch(t, env, "status")
	if code != 0 || !strings.Contains(out, "Binding: DPoP") || !strings.Contains(out, "Named tokens: 2") {
		t.Fatalf("status exit %d: %s; want the DPoP binding and two named tokens", code, out)
	}
	code, out, _ = latch(t, env, "tokens")
	if code != 0 || !strings.Contains(out, "orders") || !strings.Contains(out, "DPoP") {
		t.Fatalf("tokens exit %d: %s; want a table with orders, DPoP", code, out)
	}

	// Header lines for curl: the API checks the token and its proof, and a
	// proof is made for each request.
	target := api.URL + "/orders?page=2"
	for range 2 {
		got, err := shell(t, env, fmt.Sprintf(`"$LATCH" header orders GET '%s' | curl -sS -f -H @- '%s'`, target, target))
		if err != nil || !strings.Contains(got, `"bound":true`) || !strings.Contains(got, `"scope":"orders:read"`) {
			t.Fatalf("latch header | curl gave %q, %v; want the API's answer for a bound orders:read token (refused: %v)", got, err, api.Rejected())
		}
	}
	// The session's own token ("-") reads the metadata API of the sandbox.
	me := issuer + "/api/v2/users/" + url.PathEscape("sandbox|demo")
	got, err := shell(t, env, fmt.Sprintf(`"$LATCH" header - GET '%s' | curl -sS -f -H @- '%s'`, me, me))
	if err != nil || !strings.Contains(got, `"user_id":"sandbox|demo"`) {
		t.Fatalf("the session's header with curl gave %q, %v; want the user record", got, err)
	}

	// An API that the sign-in did not ask for is refused with what to do.
	code, _, errOut = latch(t, env, "token", "--name", "stock", "--audience", "https://stock.example.test/", "--scopes", "stock:read")
	if code != 1 || !strings.Contains(errOut, "did not ask for the API stock") || !strings.Contains(errOut, "[apis.stock]") || !strings.Contains(errOut, "sign in again with latch login.") {
		t.Fatalf("an undeclared API exit %d: %s; want 1 saying to declare it and sign in again", code, errOut)
	}
	if code, _, errOut := latch(t, env, "header", "orders", "GET"); code != 2 || !strings.Contains(errOut, "NAME METHOD URL") {
		t.Fatalf("header with two arguments exit %d: %s; want 2 with the usage", code, errOut)
	}

	if code, _, errOut := latch(t, env, "token", "--name", "orders", "--remove"); code != 0 {
		t.Fatalf("token --remove exit %d: %s", code, errOut)
	}
	if _, out, _ := latch(t, env, "tokens", "--json"); !strings.Contains(out, "billing") || strings.Contains(out, `"orders"`) {
		t.Fatalf("after --remove the tokens are %s; want billing alone", out)
	}

	if code, _, errOut := latch(t, env, "logout"); code != 0 {
		t.Fatalf("logout exit %d: %s", code, errOut)
	}
	if n := keyringtest.Items(t, latchapp.KeychainService); n != 0 {
		t.Fatalf("%d keychain items of Latch after logout; want none (named tokens and the DPoP key go too)", n)
	}
}

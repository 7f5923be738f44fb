package cli_test

import (
	"strings"
	"testing"

	"github.com/latchapp/latch/internal/testing/oidcprovider"
)

func TestGenericProviderHasNoMetadataAPI(t *testing.T) {
	op := oidcprovider.Start(t, oidcprovider.Options{})
	w := newWorld(t, map[string]string{"LATCH_ISSUER": op.Issuer, "LATCH_CLIENT_ID": oidcprovider.ClientID})
	w.loginNoBrowser("bob", "builder")
	code, _, errOut := w.run("metadata", "get")
	if code != 1 || !strings.Contains(errOut, "offers no metadata API") {
		t.Fatalf("exit %d: %q; want 1 saying the provider offers no metadata API", code, errOut)
	}
	code, out, _ := w.run("status")
	if code != 0 || !strings.Contains(out, "Bob Builder") || !strings.Contains(out, "Refresh token: held") {
		t.Fatalf("status exit %d: %s; want 0 with Bob Builder and a refresh token held", code, out)
	}
}

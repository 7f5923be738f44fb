package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/latchapp/latch/internal/app/latchapp"
)

// The forms latch token prints a token in (--output): the token alone,
// JSON, shell export lines, or a Kubernetes ExecCredential for kubectl's
// exec credential plugins.
const (
	outputRaw            = "raw"
	outputJSON           = "json"
	outputEnv            = "env"
	outputExecCredential = "exec-credential"
)

// execAPIVersions are the ExecCredential versions kubectl may ask for;
// the first is the default.
var execAPIVersions = []string{"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"}

// execInfo is what kubectl tells an exec credential plugin in
// KUBERNETES_EXEC_INFO.
type execInfo struct {
	APIVersion string `json:"apiVersion"`
	Spec       struct {
		Interactive bool `json:"interactive"`
	} `json:"spec"`
}

// readExecInfo reads KUBERNETES_EXEC_INFO; ok is false when kubectl set
// none.
func readExecInfo(value string) (info execInfo, ok bool, err error) {
	if value == "" {
		return info, false, nil
	}
	if err := json.Unmarshal([]byte(value), &info); err != nil {
		return info, false, usagef("KUBERNETES_EXEC_INFO cannot be read: %v", err)
	}
	if info.APIVersion == "" {
		info.APIVersion = execAPIVersions[0]
	}
	for _, v := range execAPIVersions {
		if info.APIVersion == v {
			return info, true, nil
		}
	}
	return info, false, usagef("kubectl asks for the credential version %s; Latch speaks %s", info.APIVersion, strings.Join(execAPIVersions, " and "))
}

// errDPoPForKubectl refuses a DPoP-bound token to kubectl, which cannot
// make the proof each request needs.
var errDPoPForKubectl = errors.New("this token is bound to a key with DPoP and needs a proof with each request, which kubectl cannot send: use the ID token (--id-token), or turn DPoP off for this account")

// writeToken prints t in the form output names; apiVersion is the
// ExecCredential's.
func writeToken(w io.Writer, t latchapp.Token, output, apiVersion string) error {
	switch output {
	case outputRaw:
		_, err := fmt.Fprintln(w, t.Token)
		return err
	case outputJSON:
		if t.Scopes == nil {
			t.Scopes = []string{}
		}
		return printJSON(w, t)
	case outputEnv:
		lines := []struct{ name, value string }{
			{"LATCH_TOKEN", t.Token}, {"LATCH_TOKEN_KIND", t.Kind}, {"LATCH_TOKEN_TYPE", t.Type},
			{"LATCH_TOKEN_EXPIRY", rfc3339(t.Expiry)}, {"LATCH_TOKEN_SCOPES", strings.Join(t.Scopes, " ")}, {"LATCH_TOKEN_AUDIENCE", t.Audience},
		}
		for _, l := range lines {
			if _, err := fmt.Fprintf(w, "export %s=%s\n", l.name, shellQuote(l.value)); err != nil {
				return err
			}
		}
		return nil
	case outputExecCredential:
		if strings.EqualFold(t.Type, "DPoP") {
			return errDPoPForKubectl
		}
		cred := map[string]any{
			"apiVersion": apiVersion,
			"kind":       "ExecCredential",
			"status":     map[string]any{"token": t.Token},
		}
		if !t.Expiry.IsZero() {
			cred["status"].(map[string]any)["expirationTimestamp"] = rfc3339(t.Expiry)
		}
		return json.NewEncoder(w).Encode(cred)
	}
	return usagef("--output is raw, json, env or exec-credential, not %q", output)
}

// rfc3339 is t in RFC 3339, in UTC; "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// shellQuote quotes s for sh, bash and zsh alike: in single quotes, each
// single quote written as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

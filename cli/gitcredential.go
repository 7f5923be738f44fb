package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/latchapp/latch/base/secureurl"
	"github.com/latchapp/latch/internal/app/latchapp"
)

var gitCredentialCommand = command{
	usage: `latch git-credential --host HOST [--name API] [--username NAME] get|store|erase

git's credential helper (see gitcredentials(7)), as latch setup git
configures it: for https://HOST alone, get answers with the access token
(or a named token) as the password and its expiry as
password_expiry_utc; store
keeps nothing, the keychain holds the session; erase, given a token Latch
gave, renews it, so that git's next get has a new one, and forgets nothing
else. A request for another host, or for plain http off this computer,
gets no answer.
`,
	deadline: commandDeadline,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &gitCredentialOptions{globalOptions: g}
		fs.StringVar(&o.host, "host", "", "the one `HOST` to answer for (https, or http on this computer)")
		fs.StringVar(&o.name, "name", "", "give the named token of `API` instead of the access token")
		fs.StringVar(&o.username, "username", "oauth2", "the username git is given, `NAME`")
		return o
	},
}

// gitCredentialOptions are the options of latch git-credential.
type gitCredentialOptions struct {
	*globalOptions
	host, name, username string
	// request is git's request, as it came on stdin.
	request string
}

// readCredentialRequest reads git's key=value lines, until a blank line
// or the end.
func readCredentialRequest(r io.Reader) (map[string]string, error) {
	req := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("git sent a line without '=': %q", line)
		}
		req[k] = v
	}
	return req, sc.Err()
}

func (o *gitCredentialOptions) run(args []string) error {
	if len(args) != 1 {
		return usagef("latch git-credential takes one of get, store, erase (git gives it)")
	}
	if o.host == "" {
		return usagef("latch git-credential needs --host: the one host it gives tokens to (latch setup git HOST writes it)")
	}
	stdin := o.env.Stdin
	if stdin == nil {
		stdin = os.Stdin
	}
	req, err := readCredentialRequest(stdin)
	if err != nil {
		return err
	}
	o.request = credentialRequest(req)
	if !o.forThisHost(req) {
		return nil // another helper's, or none: git goes on without Latch
	}
	switch args[0] {
	case "get":
		return o.get()
	case "store":
		return nil
	case "erase":
		return o.erase(req["password"])
	}
	return usagef("unknown git credential action %q (get, store, erase)", args[0])
}

// credentialRequest is req as git writes it, for a child to read again.
func credentialRequest(req map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(req)) {
		b.WriteString(k + "=" + req[k] + "\n")
	}
	return b.String() + "\n"
}

// forThisHost says whether git asks for the host Latch was set up for,
// over https, or http to this computer.
func (o *gitCredentialOptions) forThisHost(req map[string]string) bool {
	if !strings.EqualFold(req["host"], o.host) {
		return false
	}
	switch req["protocol"] {
	case "https":
		return true
	case "http":
		return secureurl.Secure("http://" + req["host"] + "/")
	}
	return false
}

// credentials returns the token git is given, with at least minTTL to
// live.
func (o *gitCredentialOptions) credentials(cfg latchapp.Config, minTTL time.Duration) (latchapp.Token, error) {
	return o.token(cfg, latchapp.TokenRequest{Name: o.name, MinTTL: minTTL}, o.request)
}

func (o *gitCredentialOptions) get() error {
	cfg, err := o.configWith(nil)
	if err != nil {
		return err
	}
	t, err := o.credentials(cfg, time.Minute)
	if err != nil {
		return err
	}
	if strings.EqualFold(t.Type, "DPoP") {
		return errors.New("this token is bound to a key with DPoP and needs a proof with each request, which git cannot send: turn DPoP off for this account")
	}
	fmt.Fprintf(o.env.Stdout, "username=%s\npassword=%s\n", o.username, t.Token)
	if !t.Expiry.IsZero() {
		fmt.Fprintf(o.env.Stdout, "password_expiry_utc=%d\n", t.Expiry.Unix())
	}
	return nil
}

// erase renews the token git was refused with, when it is the one Latch
// holds, so that the next get gives another.
func (o *gitCredentialOptions) erase(password string) error {
	if password == "" {
		return nil
	}
	cfg, err := o.configWith(nil)
	if err != nil {
		return err
	}
	t, err := o.credentials(cfg, 0)
	if err != nil || t.Token != password {
		return nil // not what Latch gave: nothing of Latch's to forget
	}
	_, err = o.credentials(cfg, forceRenewal)
	return err
}

// forceRenewal is a minimum lifetime no token has: asking for it renews.
const forceRenewal = 100 * 365 * 24 * time.Hour

package cli

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/latchapp/latch/base/secureurl"
)

var setupCommand = command{
	usage: `latch setup kubectl [--account NAME] [--id-token] [--user NAME] [--context NAME]
latch setup git HOST [--account NAME] [--name API] [--username NAME]

Sets kubectl up to get its credentials from Latch: writes the user NAME
(default latch, or latch-ACCOUNT with --account) into the kubeconfig that
KUBECONFIG names (its first file), or ~/.kube/config, as an exec
credential plugin that runs latch token --output exec-credential, and
prints what it wrote. Everything else in the file is left as it was.
--account pins the account (else the active one is used at each call).

setup git makes Latch git's credential helper for https://HOST (or
http://HOST, given as such, for a host on this computer) in your global
git config (~/.gitconfig), in place of the helpers configured for that
host before: git is given the access token (or a named token) as the
password. Other hosts are not given the token.
`,
	deadline: commandDeadline,
	options: func(g *globalOptions, fs *flag.FlagSet) runner {
		o := &setupOptions{globalOptions: g}
		fs.BoolVar(&o.idToken, "id-token", false, "kubectl: give kubectl the ID token (what a cluster's OIDC authenticator checks) instead of the access token")
		fs.StringVar(&o.user, "user", "", "kubectl: the kubeconfig user's `NAME` (default latch, or latch-ACCOUNT with --account)")
		fs.StringVar(&o.context, "context", "", "kubectl: make the context `NAME` use the user")
		fs.StringVar(&o.name, "name", "", "git: give git the named token of `API` instead of the access token")
		fs.StringVar(&o.username, "username", "", "git: the username git is given, `NAME` (default oauth2; GitHub wants x-access-token)")
		return o
	},
}

// setupOptions are the options of latch setup.
type setupOptions struct {
	*globalOptions
	idToken       bool
	user, context string
	// name and username are git's (see latch git-credential).
	name, username string
}

func (o *setupOptions) run(args []string) error {
	if len(args) == 0 {
		return usagef("latch setup takes what to set up: kubectl or git")
	}
	switch args[0] {
	case "kubectl":
		if len(args) > 1 {
			return usagef("unexpected argument %q", args[1])
		}
		return o.kubectl()
	case "git":
		if len(args) != 2 {
			return usagef("latch setup git takes one host: latch setup git github.example.com")
		}
		return o.git(args[1])
	}
	return usagef("latch setup sets up kubectl or git, not %q", args[0])
}

// executable is the path of this latch, for other programs to run.
func executable() (string, error) {
	path, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("the path of latch cannot be found: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved
	}
	return path, nil
}

func (o *setupOptions) kubectl() error {
	if _, err := o.config(); err != nil {
		return err // an account that does not exist, a broken config file
	}
	path, err := kubeconfigPath(o.env.Getenv)
	if err != nil {
		return err
	}
	bin, err := executable()
	if err != nil {
		return err
	}
	u := execUser{Name: o.user}
	u.Exec.APIVersion = execAPIVersions[0]
	u.Exec.Command = bin
	u.Exec.Args = []string{"token", "--output", outputExecCredential}
	u.Exec.InteractiveMode = "IfAvailable"
	if o.idToken {
		u.Exec.Args = append(u.Exec.Args, "--id-token")
	}
	if account := o.settings.Account; account != "" {
		u.Exec.Args = append(u.Exec.Args, "--account", account)
		if u.Name == "" {
			u.Name = "latch-" + account
		}
	}
	if u.Name == "" {
		u.Name = "latch"
	}
	if err := writeKubeconfigUser(path, u, o.context); err != nil {
		return err
	}
	fmt.Fprintf(o.env.Stdout, "%s\n", execUserYAML(u))
	how := fmt.Sprintf("kubectl --user %s, or make a context use it with latch setup kubectl --context NAME", u.Name)
	if o.context != "" {
		how = "the context " + o.context + ", which now uses it"
	}
	fmt.Fprintf(o.env.Stderr, "Wrote the user %s to %s. Use it with %s.\n", u.Name, path, how)
	return nil
}

// git makes latch git's credential helper for host, in the global git
// config: an empty helper first, which sets aside the helpers configured
// before for that host (as gh does), then latch's.
func (o *setupOptions) git(host string) error {
	scheme := "https"
	if u, err := url.Parse(host); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		scheme, host = u.Scheme, u.Host
	}
	if scheme == "http" && !secureurl.Secure("http://"+host+"/") {
		return usagef("plain http carries the token in the clear: it is for a host on this computer only (127.0.0.1, ::1, localhost); use https://%s", host)
	}
	if host == "" || strings.ContainsAny(host, "/?#@ ") {
		return usagef("%q is not a host such as github.example.com", host)
	}
	if _, err := o.config(); err != nil {
		return err
	}
	bin, err := executable()
	if err != nil {
		return err
	}
	helper := "!" + shellQuote(bin) + " git-credential --host " + shellQuote(host)
	for _, f := range []struct{ flag, value string }{{"--account", o.settings.Account}, {"--name", o.name}, {"--username", o.username}} {
		if f.value != "" {
			helper += " " + f.flag + " " + shellQuote(f.value)
		}
	}
	key := "credential." + scheme + "://" + host + ".helper"
	for _, args := range [][]string{
		{"config", "--global", "--replace-all", key, ""},
		{"config", "--global", "--add", key, helper},
	} {
		cmd := exec.CommandContext(o.ctx, "git", args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git config failed (%w): %s", err, strings.TrimSpace(string(out)))
		}
	}
	fmt.Fprintf(o.env.Stdout, "[credential \"%s://%s\"]\n\thelper =\n\thelper = %s\n", scheme, host, helper)
	fmt.Fprintf(o.env.Stderr, "Latch is git's credential helper for %s://%s, in your global git config.\n", scheme, host)
	return nil
}

package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

var setupCommand = command{
	usage: `latch setup kubectl [--account NAME] [--id-token] [--user NAME] [--context NAME]

Sets kubectl up to get its credentials from Latch: writes the user NAME
(default latch, or latch-ACCOUNT with --account) into the kubeconfig that
KUBECONFIG names (its first file), or ~/.kube/config, as an exec
credential plugin that runs latch token --output exec-credential, and
prints what it wrote. Everything else in the file is left as it was.
--id-token gives kubectl the ID token (what a cluster's OIDC
authenticator checks) instead of the access token; --account pins the
account (else the active one is used at each call); --context makes that
context use the user.
`,
	deadline: commandDeadline,
	options: func(inv *invocation, fs *flag.FlagSet) func([]string) error {
		o := &setupOptions{invocation: inv}
		fs.BoolVar(&o.idToken, "id-token", false, "")
		fs.StringVar(&o.user, "user", "", "")
		fs.StringVar(&o.context, "context", "", "")
		return o.run
	},
}

// setupOptions are the options of latch setup.
type setupOptions struct {
	*invocation
	idToken       bool
	user, context string
}

func (o *setupOptions) run(args []string) error {
	if len(args) == 0 {
		return usagef("latch setup takes what to set up: kubectl")
	}
	switch args[0] {
	case "kubectl":
		if len(args) > 1 {
			return usagef("unexpected argument %q", args[1])
		}
		return o.kubectl()
	}
	return usagef("latch setup sets up kubectl, not %q", args[0])
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

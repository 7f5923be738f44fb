package cli

// mainUsage is `latch --help`.
const mainUsage = `Latch signs you in to an OpenID Connect provider, keeps the session in the
system keychain, renews it, and lets you read and edit your user metadata.

Usage:
  latch [flags]                           open the desktop app (--in-tray: hidden in the tray,
                                          as at login; --no-window: sign in and say who)
  latch login [--device] [--no-browser]   sign in (--prompt login to sign in as someone else,
                                          --login-hint NAME to say who)
  latch status [--json] [--all]           who is signed in, token expiry, session state
                                          (--all: of every account)
  latch token [--min-ttl DURATION] [--id-token] [--output raw|json|env|exec-credential]
                                          print a valid access (or ID) token, renewing first if needed
  latch token --name NAME [--audience AUD] [--scopes "A B"] [--remove]
                                          print (or remove) the named token for one API
  latch tokens [--json]                   list the named tokens (never the tokens themselves)
  latch header NAME METHOD URL            print the header lines for one request (NAME - for
                                          the session's own token), for curl -H @-
  latch logout [--provider] [--local] [--all]
                                          revoke at the provider and clear the keychain (--provider:
                                          end its browser session too; --local: tell it nothing;
                                          --all: every account)
  latch accounts [--json]                 list the accounts, who is signed in to each
  latch accounts add NAME --issuer URL --client-id ID   (or a preset's flags and --client-id)
                                          add an account, once its provider answers
  latch accounts remove NAME              sign out of an account and remove it
  latch switch NAME                       make NAME the active account (the app follows)
  latch metadata get [--json]             print your user_metadata
  latch metadata set KEY=VALUE...         set keys (VALUE is JSON when it parses, else a string;
                                          null removes the key)
  latch metadata unset KEY...             remove keys
  latch setup kubectl [--id-token] [--user NAME] [--context NAME]
                                          make latch kubectl's credential plugin in your kubeconfig
  latch setup git HOST [--name API] [--username NAME]
                                          make latch git's credential helper for https://HOST
  latch git-credential get|store|erase    git's credential helper (latch setup git writes it)
  latch agent [status [--json]|log [--json]|stop]
                                          run the agent that holds your sessions (token, header
                                          and git-credential ask it; it starts when needed)
  latch completion bash|zsh|fish          print a shell completion script
  latch sandbox [--addr HOST:PORT]        run the built-in sandbox provider in the foreground
`

// mainUsageEnd ends `latch --help`, after the flags.
const mainUsageEnd = `
With nothing configured, Latch uses the sandbox: demo accounts on this computer.
A preset sets up a provider from a few values: Auth0, Okta, Keycloak, Microsoft
Entra ID and Google (see its flags above). Run "latch COMMAND --help" for a
command's own flags.
`

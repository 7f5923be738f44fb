package cli

// mainUsage is `latch --help`.
const mainUsage = `Latch signs you in to an OpenID Connect provider, keeps the session in the
system keychain, renews it, and lets you read and edit your user metadata.

Usage:
  latch [flags]                           open the desktop app
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
  latch logout [--provider]               revoke at the provider and clear the keychain
                                          (--provider: end the provider's browser session too)
  latch accounts [--json]                 list the accounts, who is signed in to each
  latch accounts add NAME --issuer URL --client-id ID   (or --auth0-domain D --client-id ID)
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
  latch completion bash|zsh|fish          print a shell completion script
  latch sandbox [--addr HOST:PORT]        run the built-in sandbox provider in the foreground

Flags of every command, before or after it (environment variables in
brackets):
  --account NAME        the account to use, instead of the active one [LATCH_ACCOUNT]
  --issuer URL          issuer URL [LATCH_ISSUER]
  --client-id ID        client ID [LATCH_CLIENT_ID]
  --audience AUD        API audience [LATCH_AUDIENCE]
  --scopes "A B"        scopes [LATCH_SCOPES]
  --metadata-api URL    Management API base URL [LATCH_METADATA_API]
  --auth0-domain D      Auth0 preset: derives all of the above from a domain [LATCH_AUTH0_DOMAIN]
  --sandbox BOOL        use the built-in sandbox provider [LATCH_SANDBOX]
  --sandbox-addr ADDR   the sandbox's loopback address [LATCH_SANDBOX_ADDR]
  --dpop BOOL           bind tokens to a key kept in the keychain (DPoP); takes
                        effect at the next sign-in [LATCH_DPOP]
  --redirect-url URL    the sign-in's exact loopback redirect address, http://127.0.0.1:PORT/PATH,
                        for a provider that registers one [LATCH_REDIRECT_URL]
  --config FILE         TOML config file (default: latch/config.toml in your config directory)
  --verbose             diagnostics on stderr (never tokens)
  --in-memory           keep the session in memory for this run only, not in the
                        keychain (for when the keychain cannot be used)
  --timeout DURATION    give up after this long (default 30s; a sign-in 5m)

With nothing configured, Latch uses the sandbox: demo accounts on this computer.
Run "latch COMMAND --help" for a command's own flags.
`

// everyCommandsFlags ends each command's help.
const everyCommandsFlags = `
The flags of every command (--account, --issuer, --client-id, --audience, --scopes,
--metadata-api, --auth0-domain, --sandbox, --sandbox-addr, --dpop, --redirect-url,
--config, --verbose, --in-memory, --timeout) go before or after the
command; latch --help says what each does.
`

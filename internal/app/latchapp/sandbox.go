package latchapp

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/latchapp/latch/internal/app/sandboxclient"
)

// sandboxIssuer is the issuer of a sandbox listening at addr, unless it
// was told to present another.
func sandboxIssuer(addr string) string { return "http://" + addr }

// describeSandbox words a [sandboxclient.StartError].
func describeSandbox(e *sandboxclient.StartError) string {
	switch {
	case errors.Is(e.Err, sandboxclient.ErrAddrTaken):
		return fmt.Sprintf("Another program is using %s, the Latch sandbox's address. Stop it, or give the sandbox another address (--sandbox-addr, LATCH_SANDBOX_ADDR).", e.Addr)
	case errors.Is(e.Err, os.ErrExist):
		return fmt.Sprintf("A Latch sandbox already runs at %s: every command and the app use it as it is. Stop it first to start another there, or give this one another address (--addr).", e.Addr)
	case errors.Is(e.Err, sandboxclient.ErrCorruptState):
		return "The Latch sandbox's state file (latch/sandbox.json in your config folder) is damaged. Move it away and try again; the sandbox then starts afresh."
	}
	return sentence("The Latch sandbox could not be started: " + strings.ReplaceAll(e.Err.Error(), "sandbox: ", ""))
}

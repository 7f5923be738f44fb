//go:build !unix

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// handOver runs the desktop app with this process's standard streams and
// returns when it quits, passing its exit status on.
func handOver(ctx context.Context, path string, args []string) error {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return saidExit{ee.ExitCode()}
	}
	if err != nil {
		return fmt.Errorf("starting the desktop app (%s): %w", path, err)
	}
	return nil
}

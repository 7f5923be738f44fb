//go:build unix

package cli

import (
	"context"
	"fmt"
	"os"
	"syscall"
)

// handOver replaces this process with the desktop app, so that the app is
// what the desktop, the terminal and signals see.
func handOver(_ context.Context, path string, args []string) error {
	if err := syscall.Exec(path, append([]string{path}, args...), os.Environ()); err != nil {
		return fmt.Errorf("starting the desktop app (%s): %w", path, err)
	}
	return nil
}

//go:build !windows

// Command wincreds lists, or removes, Windows generic credentials for the
// e2e tests, which run it under Wine (see main.go); elsewhere it only
// says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "wincreds: Windows' Credential Manager exists on Windows (or under Wine) only")
	os.Exit(1)
}

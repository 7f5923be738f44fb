//go:build windows

// Command wincreds lists, or removes, the generic credentials whose
// target begins with a prefix, through Windows' own Credential Manager
// API: the e2e tests run it under Wine to see what Latch left there
// (Wine writes its registry to disk only now and then, so the files tell
// nothing). Each line is a target and the size of its secret.
//
//	wincreds list latch:
//	wincreds remove latch:
package main

import (
	"fmt"
	"os"

	"github.com/danieljoos/wincred"
)

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "list" && os.Args[1] != "remove") {
		fmt.Fprintln(os.Stderr, "usage: wincreds list|remove PREFIX")
		os.Exit(2)
	}
	creds, err := wincred.FilteredList(os.Args[2] + "*")
	if err != nil {
		// No credential at all is an error here, not an empty list.
		creds = nil
	}
	for _, c := range creds {
		if os.Args[1] == "remove" {
			g, err := wincred.GetGenericCredential(c.TargetName)
			if err == nil {
				err = g.Delete()
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "removing %s: %v\n", c.TargetName, err)
				os.Exit(1)
			}
		}
		fmt.Printf("%s %d\n", c.TargetName, len(c.CredentialBlob))
	}
}

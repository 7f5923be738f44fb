package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The command line starts fast because it links nothing of the desktop
// app (no Fyne, no GL, no cgo) and nothing of the sandbox provider, which
// is the program latch-sandbox.
func TestTheCommandLineLinksNoDesktop(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{if .CgoFiles}}cgo{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		pkg, cgo, _ := strings.Cut(strings.TrimSpace(line), " ")
		if strings.HasPrefix(pkg, "fyne.io/") || strings.HasPrefix(pkg, "github.com/latchapp/latch/ui") || strings.HasPrefix(pkg, "github.com/go-gl/") {
			t.Errorf("cmd/latch imports %s; want no desktop package", pkg)
		}
		if pkg == "github.com/latchapp/latch/internal/app/sandboxserver" || strings.HasPrefix(pkg, "github.com/zitadel/") || pkg == "github.com/latchapp/latch/internal/app/sandboxhost" {
			t.Errorf("cmd/latch imports %s; want nothing of the sandbox provider (latch-sandbox runs it)", pkg)
		}
		if cgo == "cgo" && !strings.HasPrefix(pkg, "runtime/") && pkg != "net" && pkg != "os/user" && pkg != "runtime" {
			t.Errorf("cmd/latch imports %s, which uses cgo; want the standard library's optional cgo only", pkg)
		}
	}
}

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// userProgram is a program of another module that hands a Latch session
// to the Go ecosystem's interfaces, as the README shows.
const userProgram = `package main

import (
	"context"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/session"
)

func main() {
	m, err := session.New(session.Config{Issuer: "https://id.example.test", ClientID: "c", Store: &sessiontest.Store{}})
	if err != nil {
		panic(err)
	}
	defer m.Close()
	ctx := context.Background()
	var src oauth2.TokenSource = m.TokenSource(time.Minute)
	var client *http.Client = m.Client(ctx)
	_, _ = oauth2.NewClient(ctx, src), client
}
`

// TestLibraryFromAnotherModule compiles a program outside this module that
// uses a session as an oauth2.TokenSource and an *http.Client.
func TestLibraryFromAnotherModule(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.test/uselatch\n\ngo 1.26.0\n\n" +
		"require (\n\tlatch v0.0.0\n\tgolang.org/x/oauth2 v0.37.0\n)\n\nreplace latch => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"go.mod": gomod, "go.sum": string(sum), "main.go": userProgram} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-mod=mod", "-o", filepath.Join(dir, "uselatch"), ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("a program of another module does not compile against session: %v\n%s", err, out)
	}
}

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"

	"github.com/latchapp/latch/internal/app/sandboxserver"
	"github.com/latchapp/latch/internal/testing/keyringtest"
	"github.com/latchapp/latch/internal/testing/peers"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
	"github.com/latchapp/latch/internal/testing/testbrowser"
)

// modulePath is the module's public address, as a developer types it.
const modulePath = "github.com/latchapp/latch"

// moduleVersion is the version the test publishes on its own proxy.
const moduleVersion = "v0.1.0"

// userProgram is a program of another module, as a Go developer writes it
// from the README: it signs in (printing the address for the person to
// open), keeps the session in the keychain, and calls an API, the
// provider's userinfo endpoint, through golang.org/x/oauth2's own client.
const userProgram = `package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchapp/latch/session"
	"github.com/latchapp/latch/session/keychain"
)

func main() {
	ctx := context.Background()
	m, err := session.New(session.Config{
		Issuer:   os.Args[1],
		ClientID: "latch-desktop",
		Store:    keychain.New(os.Args[2]),
	})
	if err != nil {
		fail(err)
	}
	defer m.Close()
	_, err = m.LoginWithBrowser(ctx, session.BrowserLogin{OpenURL: func(_ context.Context, u string) error {
		fmt.Println(u)
		return nil
	}})
	if err != nil {
		fail(err)
	}
	p, err := m.Provider(ctx)
	if err != nil {
		fail(err)
	}
	resp, err := oauth2.NewClient(ctx, m.TokenSource(30*time.Second)).Get(p.UserinfoEndpoint)
	if err != nil {
		fail(err)
	}
	defer resp.Body.Close()
	var me struct{ Name string }
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		fail(err)
	}
	fmt.Println("signed in as", me.Name)
	if err := m.Logout(ctx); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
`

// TestLibraryFromAModuleProxy publishes the module as a proxy would serve
// it (a zip made from the checkout by golang.org/x/mod/zip, which refuses
// what a proxy refuses) on a proxy in the file system, and uses it as a
// Go developer does, from another module with no replace directive:
// go get of session at that version, a program that signs in against the
// sandbox and calls an API through oauth2.NewClient(ctx,
// m.TokenSource(...)), whose dependencies hold no Fyne package; and go
// install of the command line at that version, which then signs in.
func TestLibraryFromAModuleProxy(t *testing.T) {
	keyringtest.Require(t)
	if _, err := exec.LookPath("git"); err != nil {
		peers.Missing(t, "git", err.Error())
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	publish(t, root, proxy)

	// The other module's world: the test's proxy, then the modules this
	// machine has already downloaded, served from the module cache as a
	// proxy too, and nothing from the network. Its module cache is its
	// own, so that the version published here is never taken for another
	// build's; the build cache is shared. Checksums are not asked of
	// sum.golang.org, which knows nothing of this version: the zip's own
	// checks stand for the proxy's.
	// Latch's whole module graph is downloaded first, as `go mod tidy`
	// fetches it: the other module's tidy needs the same modules (the
	// test dependencies of Latch's dependencies among them), which a
	// build alone leaves out of a fresh machine's cache. It is done in a
	// copy of go.mod and go.sum, which it writes to.
	graph := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(graph, name), string(data))
	}
	gocmd(t, graph, os.Environ(), "mod", "download", "all")
	gomodcache := strings.TrimSpace(goEnv(t, "GOMODCACHE"))
	user := t.TempDir()
	env := append(os.Environ(),
		"GOPROXY=file://"+proxy+",file://"+filepath.Join(gomodcache, "cache", "download"),
		"GOSUMDB=off", "GOFLAGS=-trimpath", "CGO_ENABLED=0",
		"GOMODCACHE="+filepath.Join(user, "modcache"), "GOBIN="+filepath.Join(user, "bin"),
		"GOTOOLCHAIN=local",
	)
	program := filepath.Join(user, "program")
	if err := os.MkdirAll(program, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(program, "go.mod"), "module example.test/uselatch\n\ngo 1.26.0\n")
	write(t, filepath.Join(program, "main.go"), userProgram)
	gocmd(t, program, env, "get", modulePath+"/session@"+moduleVersion, "golang.org/x/oauth2@v0.37.0")
	gocmd(t, program, env, "mod", "tidy")
	if b, _ := os.ReadFile(filepath.Join(program, "go.mod")); bytes.Contains(b, []byte("replace")) {
		t.Fatalf("the program's go.mod has a replace directive:\n%s", b)
	}
	deps := gocmd(t, program, env, "list", "-deps", ".")
	for _, dep := range strings.Fields(deps) {
		if strings.HasPrefix(dep, "fyne.io/") || strings.Contains(dep, "go-gl/") {
			t.Errorf("the program depends on %s; want no Fyne package in a program of the library", dep)
		}
	}
	if !strings.Contains(deps, modulePath+"/session\n") {
		t.Fatalf("go list -deps does not list the session package:\n%s", deps)
	}
	gocmd(t, program, env, "build", "-o", filepath.Join(user, "uselatch"), ".")

	// The program signs in against the sandbox, as the person at the
	// browser, and calls the API.
	srv := sandboxtest.Start(t, "", 0)
	service := fmt.Sprintf("latch-e2e-library-%d", time.Now().UnixNano())
	out := runSigningIn(t, exec.Command(filepath.Join(user, "uselatch"), srv.Issuer(), service))
	if !strings.Contains(out, "signed in as Dana Demo") {
		t.Fatalf("the program printed %q; want it signed in as Dana Demo through the API", out)
	}
	if n := keyringtest.Items(t, service); n != 0 {
		t.Errorf("the program left %d items in the keychain after signing out; want none", n)
	}

	// The command line, installed from the same proxy, works.
	gocmd(t, user, env, "install", modulePath+"/cmd/latch@"+moduleVersion)
	latchPath := filepath.Join(user, "bin", "latch")
	if out, err := exec.Command(latchPath, "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "latch login") {
		t.Fatalf("latch --help: %v\n%s", err, out)
	}
	login := exec.Command(latchPath, "login", "--no-browser", "--in-memory", "--issuer", srv.Issuer(), "--client-id", sandboxserver.ClientID)
	login.Env = home(t)
	if out := runSigningIn(t, login); !strings.Contains(out, "Signed in as Dana Demo") {
		t.Fatalf("the installed latch login printed %q; want Dana Demo signed in", out)
	}
}

// publish puts the module at moduleVersion on the file-system proxy at
// dir, made from the files of the checkout at root that git keeps or
// would keep (tracked, or new and not ignored), as they are now.
func publish(t *testing.T, root, dir string) {
	t.Helper()
	ls := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	ls.Dir = root
	list, err := ls.Output()
	if err != nil {
		peers.Missing(t, "a git checkout of Latch", err.Error())
	}
	var files []zip.File
	for _, name := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		if name == "" || insideNestedModule(root, name) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(root, name)); err != nil {
			continue // deleted in the working tree
		}
		files = append(files, checkoutFile{root: root, name: name})
	}
	at := filepath.Join(dir, modulePath, "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(at, moduleVersion+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := zip.Create(f, module.Version{Path: modulePath, Version: moduleVersion}, files); err != nil {
		t.Fatalf("a proxy would refuse the module: %v", err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(gomod, []byte("module "+modulePath+"\n")) {
		t.Fatalf("go.mod names another module: %q", bytes.SplitN(gomod, []byte("\n"), 2)[0])
	}
	info, _ := json.Marshal(map[string]any{"Version": moduleVersion, "Time": time.Now().UTC()})
	write(t, filepath.Join(at, moduleVersion+".mod"), string(gomod))
	write(t, filepath.Join(at, moduleVersion+".info"), string(info))
	write(t, filepath.Join(at, "list"), moduleVersion+"\n")
}

// insideNestedModule reports whether name, a file of the checkout at
// root, is in a folder that is a module of its own, which a module's zip
// leaves out.
func insideNestedModule(root, name string) bool {
	for dir := filepath.Dir(name); dir != "." && dir != "/"; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(root, dir, "go.mod")); err == nil {
			return true
		}
	}
	return false
}

// checkoutFile is a file of the checkout, for the module's zip.
type checkoutFile struct{ root, name string }

func (f checkoutFile) Path() string                 { return f.name }
func (f checkoutFile) Lstat() (fs.FileInfo, error)  { return os.Lstat(filepath.Join(f.root, f.name)) }
func (f checkoutFile) Open() (io.ReadCloser, error) { return os.Open(filepath.Join(f.root, f.name)) }

// runSigningIn runs cmd, which prints a sign-in address on its first line
// of output, signs in there as the sandbox's demo account, and returns
// the rest of its output once it exits successfully.
func runSigningIn(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		<-ctx.Done()
		_ = cmd.Process.Kill()
	}()
	out := bufio.NewReader(stdout)
	address, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("%s printed no sign-in address: %v\n%s", cmd.Path, err, stderr.String())
	}
	if code, body, err := testbrowser.NewBrowser("demo", "demo").Visit(strings.TrimSpace(address)); err != nil || code != 200 {
		t.Fatalf("signing in at the address %s printed ended on %d, %v: %s", cmd.Path, code, err, body)
	}
	rest, _ := io.ReadAll(out)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v\n%s%s", cmd.Path, err, rest, stderr.String())
	}
	return string(rest) + stderr.String()
}

// gocmd runs the go command in dir with env, and returns its standard
// output.
func gocmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// goEnv is one setting of the go command.
func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

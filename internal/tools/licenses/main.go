// Command licenses writes the licences of the Go modules that Latch's
// programs are built from (its third-party licences), from the module
// cache: what scripts/package puts in every package as
// THIRD_PARTY_LICENSES.
//
//	go run ./internal/tools/licenses > THIRD_PARTY_LICENSES
//
// It lists the modules of the packages that the programs link (the desktop
// app, latch and latch-sandbox, for Linux and for Windows), and fails
// when one has no licence file at its root.
package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
)

// programs are the packages built into Latch's programs.
var programs = []string{".", "./cmd/latch", "./cmd/latch-sandbox"}

// platforms are the systems the programs ship for.
var platforms = []string{"linux", "windows"}

func main() {
	if err := write(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "licenses:", err)
		os.Exit(1)
	}
}

// write writes every shipped module's licence to w.
func write(w io.Writer) error {
	mods, err := shippedModules()
	if err != nil {
		return err
	}
	cache, err := goEnv("GOMODCACHE")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Latch is licensed under the Apache License 2.0 (see LICENSE). Its programs")
	fmt.Fprintln(w, "are built with the Go modules below, each under its own licence, whose text")
	fmt.Fprintln(w, "follows its name.")
	for _, m := range mods {
		text, err := licenseOf(cache, m)
		if err != nil {
			return err
		}
		rule := strings.Repeat("=", 72)
		fmt.Fprintf(w, "\n%s\n%s %s\n%s\n\n%s", rule, m.path, m.version, rule, text)
		if !strings.HasSuffix(text, "\n") {
			fmt.Fprintln(w)
		}
	}
	return nil
}

// module is one module, at the version built.
type module struct{ path, version string }

// shippedModules are the modules, other than Latch's own, of the packages
// the programs link on each platform, sorted by path.
func shippedModules() ([]module, error) {
	seen := map[module]bool{}
	for _, goos := range platforms {
		args := append([]string{"list", "-deps", "-tags", "migrated_fynedo", "-f", "{{with .Module}}{{if not .Main}}{{if .Replace}}{{.Replace.Path}} {{.Replace.Version}}{{else}}{{.Path}} {{.Version}}{{end}}{{end}}{{end}}"}, programs...)
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=1")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go list for %s: %w", goos, err)
		}
		for line := range strings.Lines(string(out)) {
			if path, version, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
				seen[module{path, version}] = true
			}
		}
	}
	mods := make([]module, 0, len(seen))
	for m := range seen {
		mods = append(mods, m)
	}
	slices.SortFunc(mods, func(a, b module) int { return strings.Compare(a.path, b.path) })
	return mods, nil
}

// licenseOf is the text of m's licence files at its root in the module
// cache (LICENSE, LICENCE, COPYING, and their variants), one after the
// other.
func licenseOf(cache string, m module) (string, error) {
	dir := filepath.Join(cache, escape(m.path)+"@"+escape(m.version))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("%s %s is not in the module cache (run go mod download): %w", m.path, m.version, err)
	}
	var texts []string
	for _, e := range entries {
		name := strings.ToUpper(e.Name())
		if e.Type().IsRegular() && (strings.HasPrefix(name, "LICENSE") || strings.HasPrefix(name, "LICENCE") || strings.HasPrefix(name, "COPYING")) {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return "", err
			}
			texts = append(texts, string(b))
		}
	}
	if len(texts) == 0 {
		return "", fmt.Errorf("%s %s has no licence file at its root (%s)", m.path, m.version, dir)
	}
	return strings.Join(texts, "\n"), nil
}

// escape is a module path or version as the module cache names it: each
// capital letter written as "!" and the letter in lower case.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// goEnv is the go command's setting name.
func goEnv(name string) (string, error) {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Package api keeps the exported API of Latch's library packages in text
// files under version control, one line per promise, as the Go project's
// own api/ files do. The test fails when a package's API and its file
// differ: change the file with the API, on purpose.
//
//	go test ./api -update    # writes the files anew from the code
package api

import (
	"flag"
	"fmt"
	"go/types"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/go/packages"
)

var update = flag.Bool("update", false, "write the API files anew from the code")

// module is the module's path; the packages below are in it.
const module = "github.com/latchapp/latch"

// recorded are the packages whose API is recorded, by file name.
var recorded = map[string]string{
	"session.txt":          "session",
	"session-keychain.txt": "session/keychain",
	"profile.txt":          "profile",
}

// surfaceBudget is the most names the root session package exports
// (types, functions, methods, variables and constants, as go doc -all
// lists them): what a newcomer can hold in their head. 71 since
// Manager.LogoutLocally (a sign-out that tells the provider nothing, for
// latch logout --local, as gh's), which no existing call could be.
const surfaceBudget = 71

func TestAPIFilesMatchTheCode(t *testing.T) {
	for file, pkg := range recorded {
		t.Run(pkg, func(t *testing.T) {
			p := load(t, pkg)
			got := apiLines(p)
			if *update {
				if err := os.WriteFile(file, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("the API of %s is not recorded (%v): run go test ./api -update and commit api/%s", pkg, err, file)
			}
			want := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			added, removed := diff(want, got)
			if len(added)+len(removed) > 0 {
				if len(added) == 0 {
					added = []string{"(none)"}
				}
				if len(removed) == 0 {
					removed = []string{"(none)"}
				}
				t.Errorf("the API of %s changed without api/%s:\nin the code, not in the file:\n\t%s\nin the file, not in the code:\n\t%s\n"+
					"if the change is meant, run go test ./api -update and commit api/%s with it",
					pkg, file, strings.Join(added, "\n\t"), strings.Join(removed, "\n\t"), file)
			}
		})
	}
}

func TestSessionSurfaceWithinBudget(t *testing.T) {
	p := load(t, "session")
	names := exportedNames(p.Types)
	if len(names) > surfaceBudget {
		t.Errorf("session exports %d names, more than the budget of %d:\n\t%s", len(names), surfaceBudget, strings.Join(names, "\n\t"))
	}
	t.Logf("session exports %d names (budget %d)", len(names), surfaceBudget)
}

// loaded are the recorded packages, type-checked once for all the tests.
var loaded = sync.OnceValues(func() (map[string]*packages.Package, error) {
	var paths []string
	for _, pkg := range recorded {
		paths = append(paths, module+"/"+pkg)
	}
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedTypes, Dir: ".."}
	pkgs, err := packages.Load(cfg, paths...)
	if err != nil {
		return nil, err
	}
	if packages.PrintErrors(pkgs) > 0 {
		return nil, fmt.Errorf("loading %v failed", paths)
	}
	byPath := map[string]*packages.Package{}
	for _, p := range pkgs {
		byPath[strings.TrimPrefix(p.PkgPath, module+"/")] = p
	}
	return byPath, nil
})

func load(t *testing.T, pkg string) *packages.Package {
	t.Helper()
	pkgs, err := loaded()
	if err != nil {
		t.Fatal(err)
	}
	return pkgs[pkg]
}

// exportedNames are what go doc -all lists: exported package-level
// names, and the exported methods of exported types.
func exportedNames(p *types.Package) []string {
	var names []string
	scope := p.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		names = append(names, name)
		if tn, ok := obj.(*types.TypeName); ok {
			if named, ok := tn.Type().(*types.Named); ok {
				for m := range named.Methods() {
					if m.Exported() {
						names = append(names, name+"."+m.Name())
					}
				}
			}
		}
	}
	return names
}

// apiLines describes p's exported API, one sorted line per promise, in
// the form of the Go project's api files.
func apiLines(p *packages.Package) []string {
	pkg := p.Types
	prefix := "pkg " + strings.TrimPrefix(pkg.Path(), module+"/") + ", "
	qualify := func(other *types.Package) string {
		if other == pkg {
			return ""
		}
		return other.Name()
	}
	var typ func(t types.Type) string
	typ = func(t types.Type) string {
		if sig, ok := t.(*types.Signature); ok {
			return "func" + signature(sig, typ) // without the parameters' names
		}
		return types.TypeString(t, qualify)
	}
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, prefix+fmt.Sprintf(format, args...)) }
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch o := obj.(type) {
		case *types.Const:
			add("const %s %s", name, typ(o.Type()))
			add("const %s = %s", name, o.Val().ExactString())
		case *types.Var:
			add("var %s %s", name, typ(o.Type()))
		case *types.Func:
			add("func %s%s", name, signature(o.Type().(*types.Signature), typ))
		case *types.TypeName:
			lines = append(lines, typeLines(prefix, o, typ)...)
		}
	}
	slices.Sort(lines)
	return lines
}

// typeLines describes a type: its kind, its exported fields or interface
// methods, and its exported methods.
func typeLines(prefix string, tn *types.TypeName, typ func(types.Type) string) []string {
	name := tn.Name()
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, prefix+fmt.Sprintf(format, args...)) }
	switch u := tn.Type().Underlying().(type) {
	case *types.Struct:
		add("type %s struct", name)
		for f := range u.Fields() {
			switch {
			case f.Embedded():
				add("type %s struct, embedded %s", name, typ(f.Type()))
			case f.Exported():
				add("type %s struct, %s %s", name, f.Name(), typ(f.Type()))
			}
		}
	case *types.Interface:
		add("type %s interface { %s }", name, strings.Join(interfaceMethods(u, typ), ", "))
		for m := range u.ExplicitMethods() {
			add("type %s interface, %s%s", name, m.Name(), signature(m.Type().(*types.Signature), typ))
		}
	default:
		add("type %s %s", name, typ(u))
	}
	if named, ok := tn.Type().(*types.Named); ok {
		for m := range named.Methods() {
			if !m.Exported() {
				continue
			}
			sig := m.Type().(*types.Signature)
			recv := typ(sig.Recv().Type())
			add("method (%s) %s%s", recv, m.Name(), signature(sig, typ))
		}
	}
	return lines
}

func interfaceMethods(u *types.Interface, typ func(types.Type) string) []string {
	var names []string
	for m := range u.ExplicitMethods() {
		names = append(names, m.Name())
	}
	for e := range u.EmbeddedTypes() {
		names = append(names, "embedded "+typ(e))
	}
	return names
}

// signature is sig without parameter names, which are not promises.
func signature(sig *types.Signature, typ func(types.Type) string) string {
	list := func(t *types.Tuple, variadic bool) string {
		var parts []string
		for i := range t.Len() {
			s := typ(t.At(i).Type())
			if variadic && i == t.Len()-1 {
				s = "..." + strings.TrimPrefix(s, "[]")
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ", ")
	}
	s := "(" + list(sig.Params(), sig.Variadic()) + ")"
	switch res := sig.Results(); res.Len() {
	case 0:
	case 1:
		s += " " + list(res, false)
	default:
		s += " (" + list(res, false) + ")"
	}
	return s
}

// diff returns the lines only in b (added) and only in a (removed).
func diff(a, b []string) (added, removed []string) {
	for _, l := range b {
		if !slices.Contains(a, l) {
			added = append(added, l)
		}
	}
	for _, l := range a {
		if !slices.Contains(b, l) {
			removed = append(removed, l)
		}
	}
	return added, removed
}

//go:build linux

package e2e

import (
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPackagesCarryTheLicencesAndChecksums: the .deb, the .rpm, the
// tarball and the Windows folder hold Latch's licence and the licences of
// the modules its programs are built with; the .rpm and the metainfo name
// Apache-2.0, the .deb's maintainer a reachable address; SHA256SUMS lists
// every file of dist/ with its checksum; the packaged programs say the
// version of FyneApp.toml, the commit and its date.
func TestPackagesCarryTheLicencesAndChecksums(t *testing.T) {
	needTools(t, "dpkg-deb", "rpm", "tar")
	dir := packages(t)
	v := fyneApp(t, "Version")
	license, err := os.ReadFile("../LICENSE")
	if err != nil || !strings.Contains(string(license), "Apache License\n                           Version 2.0, January 2004") {
		t.Fatalf("LICENSE is not the Apache License 2.0: %v", err)
	}
	deb := filepath.Join(dir, "latch_"+v+"_amd64.deb")
	unpacked := t.TempDir()
	runIn(t, "", nil, "dpkg-deb", "--extract", deb, unpacked)
	same := func(what, path string) {
		t.Helper()
		if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, license) {
			t.Errorf("%s (%s) is not LICENSE: %v", what, path, err)
		}
	}
	thirdParty := func(what, path string) {
		t.Helper()
		b, err := os.ReadFile(path)
		for _, want := range []string{"fyne.io/fyne/v2 ", "github.com/zalando/go-keyring ", "github.com/zitadel/oidc/v3 ", "Permission is hereby granted"} {
			if err != nil || !strings.Contains(string(b), want) {
				t.Errorf("%s (%s) does not name %q: %v", what, path, want, err)
			}
		}
	}
	same("the .deb's copyright", filepath.Join(unpacked, "usr/share/doc/latch/copyright"))
	thirdParty("the .deb's third-party licences", filepath.Join(unpacked, "usr/share/doc/latch/THIRD_PARTY_LICENSES"))
	if fields := runIn(t, "", nil, "dpkg-deb", "--field", deb, "Maintainer"); !strings.Contains(fields, "https://github.com/latchapp/latch/issues") {
		t.Errorf("the .deb's maintainer is %q; want the project's issues address", fields)
	}
	if meta, err := os.ReadFile(filepath.Join(unpacked, "usr/share/metainfo/io.github.latchapp.Latch.metainfo.xml")); err != nil ||
		!strings.Contains(string(meta), "<project_license>Apache-2.0</project_license>") || !strings.Contains(string(meta), "<metadata_license>CC0-1.0</metadata_license>") {
		t.Errorf("the metainfo's licences: %v", err)
	}
	version := runIn(t, "", nil, filepath.Join(unpacked, "usr/bin/latch"), "--version")
	if !regexp.MustCompile(`^Latch ` + regexp.QuoteMeta(v) + ` \(commit [0-9a-f]{12}, \d{4}-\d{2}-\d{2}; go`).MatchString(version) {
		t.Errorf("the packaged latch --version says %q; want FyneApp.toml's version, the commit and its date", version)
	}

	rpmFile := filepath.Join(dir, "latch-"+v+"-1.x86_64.rpm")
	if got := runIn(t, "", nil, "rpm", "-qp", "--queryformat", "%{LICENSE}", rpmFile); got != "Apache-2.0" {
		t.Errorf("the .rpm's License is %q; want Apache-2.0", got)
	}
	if files := runIn(t, "", nil, "rpm", "-qpl", rpmFile); !strings.Contains(files, "/usr/share/licenses/latch/LICENSE\n") || !strings.Contains(files, "/usr/share/doc/latch/THIRD_PARTY_LICENSES\n") {
		t.Errorf("the .rpm's files:\n%s\nwant the licences", files)
	}

	untarred := t.TempDir()
	runIn(t, "", nil, "tar", "-xJf", filepath.Join(dir, "latch-"+v+"-linux-amd64.tar.xz"), "-C", untarred)
	same("the tarball's LICENSE", filepath.Join(untarred, "latch-"+v, "LICENSE"))
	thirdParty("the tarball's third-party licences", filepath.Join(untarred, "latch-"+v, "THIRD_PARTY_LICENSES"))
	win := filepath.Join(dir, "latch-"+v+"-windows-amd64")
	same("the Windows folder's LICENSE.txt", filepath.Join(win, "LICENSE.txt"))
	thirdParty("the Windows folder's third-party licences", filepath.Join(win, "THIRD_PARTY_LICENSES.txt"))

	// SHA256SUMS: every file, each checksum right.
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for line := range strings.Lines(string(sums)) {
		sum, name, ok := strings.Cut(strings.TrimSpace(line), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS has the line %q", line)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("SHA256SUMS names %s: %v", name, err)
		}
		if got := sha256.Sum256(b); strings.TrimSpace(sum) != hexOf(got[:]) {
			t.Errorf("SHA256SUMS says %s for %s; the file's is %x", sum, name, got)
		}
		listed = append(listed, name)
	}
	var files []string
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && d.Name() != "SHA256SUMS" {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, rel)
		}
		return nil
	})
	if len(listed) != len(files) {
		t.Errorf("SHA256SUMS lists %v; dist/ holds %v", listed, files)
	}
}

// hexOf is b in lower-case hexadecimal.
func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestBuildsAreReproducible: latch and latch-sandbox built as
// scripts/package builds them, from copies of the sources in two folders,
// are the same bytes; and the .deb that nfpm makes of the same files
// twice, a second apart, is the same bytes (every time in it is
// SOURCE_DATE_EPOCH's). The desktop app is built with cgo the same way,
// but building it twice here costs over three minutes of the run: not
// done.
func TestBuildsAreReproducible(t *testing.T) {
	needTools(t, "dpkg-deb")
	files, err := exec.Command("git", "-C", "..", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	pkg := "github.com/latchapp/latch/internal/app/latchapp"
	ldflags := "-s -w -buildid= -X=" + pkg + ".version=0.0.0-test -X=" + pkg + ".commit=0123456789abcdef0123456789abcdef01234567 -X=" + pkg + ".commitDate=2026-12-07T00:00:00Z"
	programs := []struct{ name, pkg, cgo string }{
		{"latch", "./cmd/latch", "0"}, {"latch-sandbox", "./cmd/latch-sandbox", "0"},
	}
	builds := map[string][][]byte{}
	for range 2 {
		src := t.TempDir()
		for name := range strings.SplitSeq(strings.TrimSuffix(string(files), "\x00"), "\x00") {
			b, err := os.ReadFile(filepath.Join("..", name))
			if err != nil {
				continue // a file deleted from the work tree
			}
			if err := os.MkdirAll(filepath.Join(src, filepath.Dir(name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(src, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range programs {
			out := filepath.Join(t.TempDir(), p.name)
			runIn(t, src, append(os.Environ(), "CGO_ENABLED="+p.cgo), "go", "build", "-tags", "migrated_fynedo", "-trimpath", "-ldflags", ldflags, "-o", out, p.pkg)
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			builds[p.name] = append(builds[p.name], b)
		}
	}
	for name, b := range builds {
		if !bytes.Equal(b[0], b[1]) {
			t.Errorf("%s built in two folders differs (%d and %d bytes); want the same bytes", name, len(b[0]), len(b[1]))
		}
	}

	// The .deb: the packaged files staged twice, packed by nfpm twice.
	dir := packages(t)
	v := fyneApp(t, "Version")
	payload := t.TempDir()
	runIn(t, "", nil, "dpkg-deb", "--extract", filepath.Join(dir, "latch_"+v+"_amd64.deb"), payload)
	nfpm := filepath.Join(t.TempDir(), "nfpm")
	runIn(t, "..", nil, "go", "build", "-o", nfpm, "github.com/goreleaser/nfpm/v2/cmd/nfpm")
	config, err := filepath.Abs("../packaging/nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stageFrom := map[string]string{
		"latch-desktop": "usr/bin/latch-desktop", "latch": "usr/bin/latch", "latch-sandbox": "usr/bin/latch-sandbox",
		"io.github.latchapp.Latch.desktop":      "usr/share/applications/io.github.latchapp.Latch.desktop",
		"io.github.latchapp.Latch.png":          "usr/share/icons/hicolor/256x256/apps/io.github.latchapp.Latch.png",
		"io.github.latchapp.Latch.metainfo.xml": "usr/share/metainfo/io.github.latchapp.Latch.metainfo.xml",
		"LICENSE":                               "usr/share/licenses/latch/LICENSE", "THIRD_PARTY_LICENSES": "usr/share/doc/latch/THIRD_PARTY_LICENSES",
	}
	var debs [][]byte
	for range 2 {
		stage, out := t.TempDir(), t.TempDir()
		for name, from := range stageFrom {
			b, err := os.ReadFile(filepath.Join(payload, from))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(stage, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		env := append(os.Environ(), "VERSION="+v, "ARCH=amd64", "SOURCE_DATE_EPOCH=1796601600")
		runIn(t, stage, env, nfpm, "package", "--config", config, "--packager", "deb", "--target", out+"/")
		b, err := os.ReadFile(filepath.Join(out, "latch_"+v+"_amd64.deb"))
		if err != nil {
			t.Fatal(err)
		}
		debs = append(debs, b)
		time.Sleep(1100 * time.Millisecond) // a clock that shows in a time not fixed
	}
	if !bytes.Equal(debs[0], debs[1]) {
		t.Errorf("the .deb packed twice from the same files differs; want the same bytes")
	}
}

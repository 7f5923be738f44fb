package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2/theme"
	"golang.org/x/image/font/sfnt"
)

// Every character the app writes is in the font Fyne bundles, so that no
// text depends on the system's fonts (Wine's, for one, lack a check mark;
// the verified mark is a theme icon for that reason).
func TestEveryCharacterIsInTheBundledFont(t *testing.T) {
	fonts := map[string][]byte{
		"regular": theme.DefaultTextFont().Content(),
		"bold":    theme.DefaultTextBoldFont().Content(),
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[rune]string{} // a character, and where it is written
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, r := range s {
				if r > 0x7e {
					used[r] = fset.Position(lit.Pos()).String()
				}
			}
			return true
		})
	}
	if len(used) == 0 {
		t.Fatal("no character beyond ASCII found in the app's strings; the test reads nothing")
	}
	for style, data := range fonts {
		font, err := sfnt.Parse(data)
		if err != nil {
			t.Fatalf("the bundled %s font: %v", style, err)
		}
		var buf sfnt.Buffer
		for r, where := range used {
			if i, err := font.GlyphIndex(&buf, r); err != nil || i == 0 {
				t.Errorf("%q (U+%04X, at %s) is not in the bundled %s font; want it drawn with the bundled font or a theme icon", r, r, where, style)
			}
		}
	}
}

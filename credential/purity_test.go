package credential

import (
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPurity enforces the package contract (doc.go): the standard library
// and one curve library only; no goroutines, clocks, randomness, files,
// network or logging. Time is a parameter: the package may parse and
// compare times but never read the clock.
func TestPurity(t *testing.T) {
	allowed := map[string]bool{"bytes": true, "crypto/ed25519": true, "crypto/sha256": true, "encoding/json": true,
		"errors": true, "fmt": true, "math": true, "slices": true, "strconv": true, "strings": true, "time": true,
		"unicode/utf16": true, "unicode/utf8": true, "filippo.io/edwards25519": true}
	clock := map[string]bool{"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true, "AfterFunc": true,
		"Tick": true, "NewTimer": true, "NewTicker": true}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		n++
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := goparser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			if p := strings.Trim(imp.Path.Value, `"`); !allowed[p] {
				t.Errorf("%s imports %q, which the credential package must not use", f, p)
			}
		}
		ast.Inspect(af, func(node ast.Node) bool {
			switch x := node.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: starts a goroutine", fset.Position(x.Pos()))
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Name == "time" && clock[x.Sel.Name] {
					t.Errorf("%s: reads the clock (time.%s)", fset.Position(x.Pos()), x.Sel.Name)
				}
			}
			return true
		})
	}
	if n == 0 {
		t.Fatal("no source files checked")
	}
}

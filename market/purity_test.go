package market

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/internal/deptest"
	"github.com/coopnode/coopnode/protocol"
)

// TestPurity enforces the package contract (doc.go): the standard library
// and crdt only; no goroutines, clocks, randomness, network, files or
// logging, checked over every transitive dependency (go list -deps) with a
// reason for each banned package (internal/deptest.Market).
func TestPurity(t *testing.T) {
	if got := deptest.Check(t, ".", deptest.Market); len(got) != 1 {
		t.Fatalf("checked %v, want market alone", got)
	}
}

// TestNoFloatingPoint: no floating-point type or literal anywhere, and no
// math function beyond the integer bounds, so that no amount can ever
// depend on floating-point rounding (SPEC.md §16.1).
func TestNoFloatingPoint(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.Ident:
				if x.Name == "float32" || x.Name == "float64" || x.Name == "complex64" || x.Name == "complex128" {
					t.Errorf("%s: uses %s", fset.Position(x.Pos()), x.Name)
				}
			case *ast.BasicLit:
				if x.Kind == token.FLOAT || x.Kind == token.IMAG {
					t.Errorf("%s: floating-point literal %s", fset.Position(x.Pos()), x.Value)
				}
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Name == "math" && x.Sel.Name != "MinInt64" && x.Sel.Name != "MaxInt64" {
					t.Errorf("%s: math.%s", fset.Position(x.Pos()), x.Sel.Name)
				}
			}
			return true
		})
	}
}

// TestLimitsMatchProtocol: the cart bounds are the protocol's.
func TestLimitsMatchProtocol(t *testing.T) {
	if MaxLines != protocolMaxLineItems || MaxOptions != protocolMaxItemOptions {
		t.Fatal("market's cart limits differ from protocol's")
	}
}

const (
	protocolMaxLineItems   = protocol.MaxLineItems
	protocolMaxItemOptions = protocol.MaxItemOptions
)

// Package deptest turns the dependency rules of the developers' guide into
// tests, after tailscale's tstest/deptest: each pure package states, in a
// table, the packages it must never reach and why, and its test fails the
// day someone adds an import that breaks the rule, directly or through
// another package (go list -deps).
//
// The rules (GUIDE.md "Layout"): crdt and market are pure (the standard
// library and each other only; no goroutines, clocks, I/O, randomness or
// logging); protocol does no I/O beyond io.Reader and io.Writer values it
// is handed, knows nothing of libp2p hosts or networks, and does not log.
package deptest

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Module is the module path; rules name its packages relative to it.
const Module = "github.com/coopnode/coopnode"

// Rules are what one package (and, with Tree, every package under it) may
// depend on. In every map the key is an import path, or a prefix of import
// paths when it ends in "/", and the value is the reason.
type Rules struct {
	// Banned: packages that must not appear among the transitive
	// dependencies (go list -deps).
	Banned map[string]string
	// BannedDirect: packages the package's own files must not import,
	// though a dependency may (fmt reaches os; that is fmt's business).
	BannedDirect map[string]string
	// Allowed: the only packages outside the standard library that may
	// appear among the transitive dependencies, besides the package's own.
	// Every other non-standard dependency fails.
	Allowed map[string]string
	// Except exempts one package of a tree from a BannedDirect entry:
	// package path -> banned import -> why this package may.
	Except map[string]map[string]string
	// NoGoroutines forbids go statements in the package's files.
	NoGoroutines bool
	// NoClock forbids reading the clock or waiting on it (time.Now,
	// time.Since, time.Sleep, timers and tickers) in the package's files;
	// time's types and arithmetic stay allowed.
	NoClock bool
}

// clockFuncs are the time functions that read or wait on the clock.
var clockFuncs = map[string]bool{"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"Tick": true, "NewTimer": true, "NewTicker": true, "AfterFunc": true}

// listed is what go list says about one package.
type listed struct {
	ImportPath string
	Dir        string
	Standard   bool
	GoFiles    []string
	Imports    []string
	Deps       []string
}

// TB is the part of testing.TB that Check uses (a fake in deptest's own
// test records what Check reports).
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// goList runs go list -json with args and decodes its stream of objects.
func goList(t TB, args ...string) []listed {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("deptest needs the go tool: %v", err)
	}
	cmd := exec.Command(goTool, append([]string{"list", "-json"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list %v: %v\n%s", args, err, ee.Stderr)
		}
		t.Fatalf("go list %v: %v", args, err)
	}
	var pkgs []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// match returns the rule that names path (exactly, or as a "/"-ended
// prefix), if any.
func match(rules map[string]string, path string) (string, string, bool) {
	if why, ok := rules[path]; ok {
		return path, why, true
	}
	for k, why := range rules {
		if strings.HasSuffix(k, "/") && strings.HasPrefix(path, k) {
			return k, why, true
		}
	}
	return "", "", false
}

// Check applies r to the packages matched by pattern (a go list pattern
// such as "./crdt" or "./protocol/..."), each on its own, and reports
// every breach with the rule's reason. It returns the packages checked.
func Check(t TB, pattern string, r Rules) []string {
	t.Helper()
	pkgs := goList(t, "-deps=false", pattern)
	var names []string
	for _, p := range pkgs {
		names = append(names, p.ImportPath)
		checkPackage(t, p, r)
	}
	sort.Strings(names)
	return names
}

func checkPackage(t TB, p listed, r Rules) {
	t.Helper()
	for _, imp := range p.Imports {
		if k, why, ok := match(r.BannedDirect, imp); ok {
			if _, ok := r.Except[p.ImportPath][k]; ok {
				continue
			}
			t.Errorf("%s imports %s: %s", p.ImportPath, imp, why)
		}
	}
	// every package the package reaches, with whether it is standard
	deps := goList(t, "-deps", p.ImportPath)
	for _, d := range deps {
		if d.ImportPath == p.ImportPath {
			continue
		}
		if k, why, ok := match(r.Banned, d.ImportPath); ok {
			t.Errorf("%s depends on %s (rule %q): %s%s", p.ImportPath, d.ImportPath, k, why, via(deps, p.ImportPath, d.ImportPath))
			continue
		}
		if d.Standard || strings.HasPrefix(d.ImportPath, p.ImportPath+"/") {
			continue
		}
		if _, _, ok := match(r.Allowed, d.ImportPath); !ok {
			t.Errorf("%s depends on %s, which is outside the standard library and not allowed%s",
				p.ImportPath, d.ImportPath, via(deps, p.ImportPath, d.ImportPath))
		}
	}
	if r.NoGoroutines || r.NoClock {
		checkSource(t, p, r)
	}
}

// via names a path of imports from root to dep, so a breach says which
// import brought the banned package in.
func via(deps []listed, root, dep string) string {
	imports := map[string][]string{}
	for _, d := range deps {
		imports[d.ImportPath] = d.Imports
	}
	prev := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == dep {
			var chain []string
			for x := dep; x != ""; x = prev[x] {
				chain = append([]string{x}, chain...)
			}
			return " (via " + strings.Join(chain, " -> ") + ")"
		}
		for _, next := range imports[cur] {
			if _, seen := prev[next]; !seen {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return ""
}

// checkSource parses the package's non-test files for go statements and
// clock calls, resolving whatever name the file gives the time package.
func checkSource(t TB, p listed, r Rules) {
	t.Helper()
	fset := token.NewFileSet()
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
		if err != nil {
			t.Fatalf("%v", err)
		}
		timeName := ""
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == "time" {
				timeName = "time"
				if imp.Name != nil {
					timeName = imp.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.GoStmt:
				if r.NoGoroutines {
					t.Errorf("%s: starts a goroutine; %s must leave concurrency to its caller", fset.Position(x.Pos()), p.ImportPath)
				}
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && r.NoClock && timeName != "" && id.Name == timeName && clockFuncs[x.Sel.Name] {
					t.Errorf("%s: uses time.%s; %s takes the time as an argument (one injected Clock, in node)",
						fset.Position(x.Pos()), x.Sel.Name, p.ImportPath)
				}
			}
			return true
		})
	}
}

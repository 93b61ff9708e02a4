package deptest

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a TB that keeps what Check reports.
type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) {
	panic(fmt.Sprintf("fatal: "+format, a...))
}

// TestCheckCatchesEveryBreach: a package that imports net, log, os and
// math/rand, starts a goroutine and reads the clock (through a renamed
// import) breaks the crdt rule once per kind of breach, each reported with
// the rule's reason, transitive ones with the path of imports that brings
// them in; a package that only uses time's types passes.
func TestCheckCatchesEveryBreach(t *testing.T) {
	r := &recorder{}
	Check(r, "./testdata/bad", Crdt)
	all := strings.Join(r.errs, "\n")
	for _, want := range []string{
		"depends on net (rule \"net\"): network I/O belongs to node",
		"depends on net/netip (rule \"net/\"): network I/O belongs to node (via " + Module + "/internal/deptest/testdata/bad -> net -> net/netip)",
		"depends on log (rule \"log\"): logging is node's",
		"depends on math/rand (rule \"math/rand\"): deterministic",
		"imports os: no files", "imports time: no clocks",
		"starts a goroutine", "uses time.Now",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no report containing %q; got:\n%s", want, all)
		}
	}
	good := &recorder{}
	Check(good, "./testdata/good", Market)
	if len(good.errs) != 0 {
		t.Fatalf("a clean package breaks the market rule: %v", good.errs)
	}
}

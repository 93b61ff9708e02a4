package protocol

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

// kindRowRE matches a row of the kinds table of SPEC.md §5 (spec/wire.md):
// | number | `name` | class | size limit | payload |
var kindRowRE = regexp.MustCompile("^\\| (\\d+) \\| `([a-z_.]+)` \\| (coop|catalog|order)( \\(root\\))? \\| (16|256) KiB \\|")

// TestSpecKindsTable: the one table of every kind in SPEC.md §5 lists
// exactly the kinds the code knows, each with its name, scope class, root
// flag and size limit (SPEC.md §3.4 step 5, §9). A kind added to the code
// without its row, or a row the code contradicts, fails here.
func TestSpecKindsTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "spec", "wire.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "## 5. Event kinds and payloads")
	if start < 0 {
		t.Fatal("spec/wire.md has no §5")
	}
	rows := map[crdt.Kind][]string{}
	for _, line := range strings.Split(text[start:], "\n") {
		if strings.HasPrefix(line, "### ") {
			break
		}
		m := kindRowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if _, dup := rows[crdt.Kind(n)]; dup {
			t.Errorf("kind %d has two rows", n)
		}
		rows[crdt.Kind(n)] = m
	}
	for _, k := range crdt.AllKinds() {
		m, ok := rows[k]
		if !ok {
			t.Errorf("§5 has no row for kind %d (%s)", k, k)
			continue
		}
		delete(rows, k)
		if m[2] != k.String() {
			t.Errorf("kind %d: §5 names it %q, the code %q", k, m[2], k)
		}
		if m[3] != k.Class().String() {
			t.Errorf("kind %d: §5 class %q, the code %q", k, m[3], k.Class())
		}
		if root := m[4] != ""; root != k.IsRoot() {
			t.Errorf("kind %d: §5 root = %v, the code %v", k, root, k.IsRoot())
		}
		limit, _ := strconv.Atoi(m[5])
		if limit*1024 != SizeLimit(k) {
			t.Errorf("kind %d: §5 size limit %d KiB, the code %d bytes", k, limit, SizeLimit(k))
		}
	}
	for k := range rows {
		t.Errorf("§5 lists kind %d, which the code does not know", k)
	}
}

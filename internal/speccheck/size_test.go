package speccheck

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// update makes TestSpecSizes rewrite the sizes in SPEC.md instead of
// checking them.
var update = flag.Bool("update", false, "rewrite the file sizes in SPEC.md's index (TestSpecSizes)")

const (
	// maxCore is the size limit of the core specification (issue 11: the
	// normative documents together no more than about 100 KB).
	maxCore = 100 * 1024
	// sizeSlack is how far a stated size may drift from the file's before
	// TestSpecSizes asks for the table to be updated.
	sizeSlack = 0.02
	updateCmd = "go test ./internal/speccheck -run TestSpecSizes -update"
)

var (
	// A row of the Core or Extensions table: a link to the file first,
	// its size in the last cell.
	sizeRowRE = regexp.MustCompile(`^\| \[(spec/[a-z0-9-]+\.md)\]\(spec/[a-z0-9-]+\.md\) \|.*\| ([0-9]+\.[0-9]) KiB \|$`)
	// The core total, in the paragraph under "### Core".
	coreTotalRE = regexp.MustCompile(`Core total: ([0-9]+\.[0-9]) KiB\.`)
)

// sizeTables are the parts of SPEC.md's index listing the normative
// files, by heading.
var sizeTables = []string{"### Core", "### Extensions"}

// indexSizes reads SPEC.md's Core and Extensions tables: for each table,
// the files it lists with the size it states, and the line of each.
type indexRow struct {
	table, file string
	line        int
	kib         float64
}

func readIndexSizes(t *testing.T, index string) (rows []indexRow, total float64, totalLine int) {
	t.Helper()
	table := ""
	for n, line := range strings.Split(index, "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			table = ""
			for _, h := range sizeTables {
				if line == h {
					table = h
				}
			}
		case table == "":
		case coreTotalRE.MatchString(line) && table == "### Core":
			m := coreTotalRE.FindStringSubmatch(line)
			total, _ = strconv.ParseFloat(m[1], 64)
			totalLine = n
		case sizeRowRE.MatchString(line):
			m := sizeRowRE.FindStringSubmatch(line)
			kib, _ := strconv.ParseFloat(m[2], 64)
			rows = append(rows, indexRow{table, m[1], n, kib})
		case strings.HasPrefix(line, "| [spec/"):
			t.Errorf("SPEC.md:%d: a row of %q without a size in its last cell (\"| 12.3 KiB |\"): %s", n+1, table, line)
		}
	}
	return rows, total, totalLine
}

func kib(n int64) float64 { return float64(n) / 1024 }

// TestSpecSizes: the normative documents of spec/ are each listed once in
// SPEC.md's Core or Extensions table (vectors.md, the informative
// appendix, in neither) with their size within 2 %, and the core totals
// at most 100 KiB. Run with -update to rewrite the stated sizes.
func TestSpecSizes(t *testing.T) {
	indexPath := filepath.Join(root, "SPEC.md")
	b, err := os.ReadFile(indexPath)
	if err != nil {
		t.Fatal(err)
	}
	index := string(b)
	rows, total, totalLine := readIndexSizes(t, index)
	if totalLine == 0 {
		t.Fatalf("SPEC.md: no \"Core total: N KiB.\" under \"### Core\"")
	}

	listed := map[string]string{}
	var core int64
	sizes := map[string]int64{}
	for _, r := range rows {
		if prev, ok := listed[r.file]; ok {
			t.Errorf("SPEC.md:%d lists %s again (already under %q)", r.line+1, r.file, prev)
			continue
		}
		listed[r.file] = r.table
		fi, err := os.Stat(filepath.Join(root, r.file))
		if err != nil {
			t.Errorf("SPEC.md:%d: %v", r.line+1, err)
			continue
		}
		sizes[r.file] = fi.Size()
		if r.table == "### Core" {
			core += fi.Size()
		}
	}
	specs, err := filepath.Glob(filepath.Join(root, "spec", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range specs {
		rel, _ := filepath.Rel(root, f)
		if _, ok := listed[rel]; !ok && rel != "spec/vectors.md" {
			t.Errorf("%s is in neither the Core nor the Extensions table of SPEC.md: add a row (| [%s](%s) | holds | … | 0.0 KiB |), then run %s", rel, rel, rel, updateCmd)
		}
	}
	if t.Failed() {
		return
	}

	if *update {
		lines := strings.Split(index, "\n")
		for _, r := range rows {
			l := lines[r.line]
			i := strings.LastIndex(strings.TrimSuffix(l, " KiB |"), "| ")
			lines[r.line] = l[:i] + fmt.Sprintf("| %.1f KiB |", kib(sizes[r.file]))
		}
		lines[totalLine] = coreTotalRE.ReplaceAllString(lines[totalLine], fmt.Sprintf("Core total: %.1f KiB.", kib(core)))
		if err := os.WriteFile(indexPath, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("SPEC.md: sizes rewritten; core %d bytes (%.1f KiB)", core, kib(core))
	} else {
		for _, r := range rows {
			if got := kib(sizes[r.file]); !near(r.kib, got) {
				t.Errorf("SPEC.md:%d states %s is %.1f KiB; it is %.1f KiB (%d bytes): run %s", r.line+1, r.file, r.kib, got, sizes[r.file], updateCmd)
			}
		}
		if !near(total, kib(core)) {
			t.Errorf("SPEC.md:%d states a core total of %.1f KiB; it is %.1f KiB (%d bytes): run %s", totalLine+1, total, kib(core), core, updateCmd)
		}
	}

	t.Logf("core: %d bytes (%.1f KiB) in %d files, limit %d bytes", core, kib(core), countCore(rows), maxCore)
	if core > maxCore {
		t.Errorf("the core specification is %d bytes (%.1f KiB), over its limit of %d bytes (100 KiB, issue 11): "+
			"move informative text (examples, rationale, figures, API details) to docs/, "+
			"or an optional feature to an extension (spec/NAME.md, listed under \"### Extensions\" in SPEC.md), "+
			"or say the same rule in fewer words; then run %s", core, kib(core), maxCore, updateCmd)
	}
}

func countCore(rows []indexRow) int {
	n := 0
	for _, r := range rows {
		if r.table == "### Core" {
			n++
		}
	}
	return n
}

// near reports whether a stated size is within sizeSlack of the real one.
func near(stated, real float64) bool {
	d := stated - real
	if d < 0 {
		d = -d
	}
	return d <= real*sizeSlack || d < 0.05
}

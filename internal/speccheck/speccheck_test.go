package speccheck

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// root is the repository root, relative to this package's directory.
const root = "../.."

var (
	headingRE  = regexp.MustCompile(`^#{2,6} (\d+(?:\.\d+)*)\.? `)
	citationRE = regexp.MustCompile(`§\s?(\d+(?:\.\d+)*)`)
	// A section of another document, e.g. "RFC 8949 §4.2.1".
	foreignRE = regexp.MustCompile(`(RFC|rfc) ?\d+,? $`)
)

// heading is where one numbered section is defined.
type heading struct {
	file string
	line int
}

// specFiles lists the index and the files of spec/ and docs/ that hold
// numbered sections, relative to the root.
func specFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"SPEC.md"}
	for _, dir := range []string{"spec", "docs"} {
		m, err := filepath.Glob(filepath.Join(root, dir, "*.md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			rel, _ := filepath.Rel(root, f)
			files = append(files, rel)
		}
	}
	return files
}

// headings maps every section number to the places that define it.
func headings(t *testing.T) map[string][]heading {
	t.Helper()
	hs := map[string][]heading{}
	for _, f := range specFiles(t) {
		forEachLine(t, f, func(n int, line string) {
			if m := headingRE.FindStringSubmatch(line); m != nil {
				hs[m[1]] = append(hs[m[1]], heading{f, n})
			}
		})
	}
	return hs
}

func forEachLine(t *testing.T, rel string, fn func(n int, line string)) {
	t.Helper()
	f, err := os.Open(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		fn(n, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// citations returns the section numbers a line cites, leaving out sections
// of other documents (RFCs).
func citations(line string) []string {
	var out []string
	for _, m := range citationRE.FindAllStringSubmatchIndex(line, -1) {
		if foreignRE.MatchString(line[:m[0]]) {
			continue
		}
		out = append(out, line[m[2]:m[3]])
	}
	return out
}

// sources lists the repository's files with the given suffix.
func sources(t *testing.T, suffix string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, suffix) {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestGoCitationsResolve: every "§x.y" in a Go file names a heading of
// SPEC.md, spec/ or docs/.
func TestGoCitationsResolve(t *testing.T) {
	checkCitations(t, sources(t, ".go"))
}

// TestDocumentCitationsResolve: the same for the Markdown documents,
// the specification's own cross-references included.
func TestDocumentCitationsResolve(t *testing.T) {
	checkCitations(t, sources(t, ".md"))
}

func checkCitations(t *testing.T, files []string) {
	t.Helper()
	hs := headings(t)
	if len(hs) < 100 {
		t.Fatalf("found only %d numbered headings in SPEC.md, spec/ and docs/", len(hs))
	}
	count := 0
	for _, f := range files {
		forEachLine(t, f, func(n int, line string) {
			for _, sec := range citations(line) {
				count++
				if len(hs[sec]) == 0 {
					t.Errorf("%s:%d cites §%s, which no heading of SPEC.md, spec/*.md or docs/*.md defines", f, n, sec)
				}
			}
		})
	}
	if count == 0 {
		t.Fatal("no citations found: is the repository root right?")
	}
	t.Logf("%d citations in %d files resolve", count, len(files))
}

// TestSectionsDefinedOnce: a section number is defined by exactly one file
// of spec/ and docs/ (SPEC.md, the index, may repeat the heading of a
// section moved whole to docs/).
func TestSectionsDefinedOnce(t *testing.T) {
	for sec, defs := range headings(t) {
		var files []string
		for _, h := range defs {
			if h.file != "SPEC.md" {
				files = append(files, h.file)
			}
		}
		if len(files) != 1 {
			sort.Strings(files)
			t.Errorf("§%s is defined in %d files of spec/ and docs/: %v", sec, len(files), files)
		}
	}
}

// TestIndexListsEveryFile: the index maps every top-level section to its
// file(s), so every file holding numbered sections is linked from it and
// every top-level section has a row.
func TestIndexListsEveryFile(t *testing.T) {
	index, err := os.ReadFile(filepath.Join(root, "SPEC.md"))
	if err != nil {
		t.Fatal(err)
	}
	for sec, defs := range headings(t) {
		for _, h := range defs {
			if h.file == "SPEC.md" {
				continue
			}
			if !strings.Contains(string(index), "("+h.file+")") {
				t.Errorf("SPEC.md does not link %s, which holds §%s", h.file, sec)
			}
			if !strings.Contains(sec, ".") && !strings.Contains(string(index), "\n| "+sec+" | ") {
				t.Errorf("SPEC.md's section table has no row for §%s", sec)
			}
		}
	}
}

// TestEverySectionKept: every section number of the specification as it
// was before the split (testdata/sections-v1.txt) is still a heading, in
// SPEC.md, spec/ or docs/: numbers are never removed or reused, so old
// citations stay valid.
func TestEverySectionKept(t *testing.T) {
	hs := headings(t)
	b, err := os.ReadFile(filepath.Join("testdata", "sections-v1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sec := range strings.Fields(string(b)) {
		n++
		if len(hs[sec]) == 0 {
			t.Errorf("§%s is no longer a heading of SPEC.md, spec/ or docs/", sec)
		}
	}
	if n < 100 {
		t.Fatalf("testdata/sections-v1.txt lists only %d sections", n)
	}
}

// TestIndexContents: the Contents of SPEC.md list every numbered section
// of level 2 or 3 (## and ###) of spec/ and docs/, linked to its file, so
// the index finds every section without opening the files.
func TestIndexContents(t *testing.T) {
	index, err := os.ReadFile(filepath.Join(root, "SPEC.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range specFiles(t) {
		if f == "SPEC.md" {
			continue
		}
		forEachLine(t, f, func(n int, line string) {
			m := headingRE.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(line, "####") {
				return
			}
			for _, l := range strings.Split(string(index), "\n") {
				if strings.Contains(l, "- ["+m[1]+" ") && strings.Contains(l, "]("+f+"#") {
					return
				}
			}
			t.Errorf("SPEC.md's Contents lack a link to §%s in %s (line %d)", m[1], f, n)
		})
	}
}

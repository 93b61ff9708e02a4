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

// TestSpecLimitsTable: the named limits of the SPEC.md §9.1 table
// (spec/wire.md) have the values the code enforces. The first number of a
// row's value column is compared (spaces between digit groups allowed).
func TestSpecLimitsTable(t *testing.T) {
	want := map[string]int64{
		"MaxDocSize":         MaxDocSize,
		"MaxEventSize":       MaxEventSize,
		"MaxParents":         MaxParents,
		"MaxTextLen":         MaxTextLen,
		"MaxBlobLen":         MaxBlobLen,
		"MaxListLen":         MaxListLen,
		"MaxLineItems":       MaxLineItems,
		"MaxItemOptions":     MaxItemOptions,
		"MaxAdmins":          MaxAdmins,
		"map pairs":          maxMapPairs,
		"nesting":            maxNesting,
		"MaxClockSkew":       MaxClockSkew,
		"MaxGossipAge":       MaxGossipAge,
		"MaxOrderEvents":     int64(crdt.DefaultLimits.MaxOrderEvents),
		"MaxCoopEvents":      int64(crdt.DefaultLimits.MaxCoopEvents),
		"MaxPending":         int64(crdt.DefaultLimits.MaxPending),
		"MaxDelayMinutes":    crdt.MaxDelayMinutes,
		"DefaultPrepMinutes": crdt.DefaultPrepMinutes,
		"push frame":         MaxEventSize,
	}
	b, err := os.ReadFile(filepath.Join("..", "spec", "wire.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "### 9.1 Limits table")
	if start < 0 {
		t.Fatal("spec/wire.md has no §9.1")
	}
	number := regexp.MustCompile(`^\d+(?: \d{3})*`)
	for _, line := range strings.Split(text[start:], "\n") {
		if strings.HasPrefix(line, "## ") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 2 {
			continue
		}
		name := strings.TrimSpace(cells[0])
		w, ok := want[name]
		if !ok {
			continue
		}
		delete(want, name)
		got, err := strconv.ParseInt(strings.ReplaceAll(number.FindString(strings.TrimSpace(cells[1])), " ", ""), 10, 64)
		if err != nil || got != w {
			t.Errorf("§9.1 %s = %q, the code %d", name, strings.TrimSpace(cells[1]), w)
		}
	}
	for name := range want {
		t.Errorf("§9.1 has no row %q", name)
	}
}

package crdt

import (
	"testing"

	"github.com/coopnode/coopnode/internal/deptest"
)

// TestPurity enforces the package contract (doc.go, SPEC.md §2.1): the
// standard library only, and no goroutines, clocks, randomness, I/O or
// logging, checked over every transitive dependency (go list -deps) with a
// reason for each banned package (internal/deptest.Crdt).
func TestPurity(t *testing.T) {
	if got := deptest.Check(t, ".", deptest.Crdt); len(got) != 1 {
		t.Fatalf("checked %v, want crdt alone", got)
	}
}

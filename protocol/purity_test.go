package protocol

import (
	"slices"
	"testing"

	"github.com/coopnode/coopnode/internal/deptest"
)

// TestPurity enforces protocol's contract (doc.go, GUIDE.md): crypto and
// encoding, I/O only through the io.Reader and io.Writer values it is
// handed, no libp2p host or network, no logging, no clock and no
// goroutines, for protocol and every package under it, checked over every
// transitive dependency (go list -deps) with a reason for each banned
// package (internal/deptest.Protocol).
func TestPurity(t *testing.T) {
	got := deptest.Check(t, "./...", deptest.Protocol)
	for _, want := range []string{"protocol", "protocol/recon", "protocol/seal"} {
		if !slices.Contains(got, deptest.Module+"/"+want) {
			t.Errorf("%s not checked (checked %v)", want, got)
		}
	}
}

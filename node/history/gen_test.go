package history

import (
	"bytes"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/protocol"
)

// TestGenerateFolds: every generated event decodes, verifies and folds
// into a replica in the order generated, none left pending, and the last
// orders are open while the others are finished.
func TestGenerateFolds(t *testing.T) {
	s := Coop(2)
	g := New(s)
	r := crdt.NewReplica(crdt.Limits{CheckDocument: market.ValidateDocument})
	n := 0
	apply := func(evs []Event) error {
		for _, ge := range evs {
			e, err := protocol.Decode(ge.Raw)
			if err != nil {
				t.Fatalf("event %d: %v", n, err)
			}
			if out := r.Apply(e); out.Status != crdt.Stored {
				t.Fatalf("event %d (%s, order %d): %v", n, e.Kind, ge.Order, out.Status)
			}
			n++
		}
		return nil
	}
	if err := apply(g.Base()); err != nil {
		t.Fatal(err)
	}
	if err := g.Each(0, g.Orders(), apply); err != nil {
		t.Fatal(err)
	}
	if r.PendingLen() != 0 {
		t.Fatalf("%d events pending", r.PendingLen())
	}
	perOrder := float64(n) / float64(g.Orders())
	if perOrder < 9 || perOrder > 11 {
		t.Fatalf("%.1f events per order, want about 10", perOrder)
	}
	open := len(r.Orders(g.Coop, func(o *crdt.OrderState) bool { return o.Status.Open() }))
	if open != s.Open {
		t.Fatalf("%d open orders, want %d", open, s.Open)
	}
	if all := len(r.Orders(g.Coop, nil)); all != g.Orders() {
		t.Fatalf("%d orders folded, want %d", all, g.Orders())
	}
	t.Logf("%d events, %.2f per order", n, perOrder)
}

// TestGenerateDeterministic: the same shape gives the same bytes.
func TestGenerateDeterministic(t *testing.T) {
	collect := func() [][]byte {
		g := New(Coop(1))
		var out [][]byte
		for _, e := range g.Base() {
			out = append(out, e.Raw)
		}
		_ = g.Each(0, 300, func(evs []Event) error {
			for _, e := range evs {
				out = append(out, e.Raw)
			}
			return nil
		})
		return out
	}
	a, b := collect(), collect()
	if len(a) != len(b) {
		t.Fatalf("%d vs %d events", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("event %d differs", i)
		}
	}
}

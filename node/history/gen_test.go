package history

import (
	"bytes"
	"math/rand"
	"slices"
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

// TestOpenIndex: the replica's open-orders index (crdt/open_index.go)
// lists exactly the orders a scan finds open, when the history is folded
// in order and when it arrives shuffled (events before their parents wait,
// orders refold).
func TestOpenIndex(t *testing.T) {
	g := New(Coop(1))
	var all []Event
	all = append(all, g.Base()...)
	if err := g.Each(0, g.Orders(), func(evs []Event) error { all = append(all, evs...); return nil }); err != nil {
		t.Fatal(err)
	}
	base := len(g.Base())
	for round, perm := range [][]int{nil, rand.New(rand.NewSource(1)).Perm(len(all) - base), rand.New(rand.NewSource(2)).Perm(len(all) - base)} {
		r := crdt.NewReplica(crdt.Limits{CheckDocument: market.ValidateDocument})
		for i := 0; i < len(all); i++ {
			j := i
			if perm != nil && i >= base {
				j = base + perm[i-base]
			}
			e, err := protocol.Decode(all[j].Raw)
			if err != nil {
				t.Fatal(err)
			}
			r.Apply(e)
		}
		var want []crdt.ID
		for _, id := range r.OrderIDs(g.Coop) {
			if s, ok := r.OrderView(id); ok && s.Status.Open() {
				want = append(want, id)
			}
		}
		slices.SortFunc(want, func(a, b crdt.ID) int { return a.Compare(b) })
		got := r.OpenOrderIDs(g.Coop)
		if !slices.Equal(got, want) || len(got) != g.S.Open {
			t.Fatalf("round %d: index lists %d open orders, scan %d, want %d", round, len(got), len(want), g.S.Open)
		}
		if n := len(r.OpenOrders(g.Coop, nil)); n != len(want) {
			t.Fatalf("round %d: OpenOrders returned %d", round, n)
		}
	}
}

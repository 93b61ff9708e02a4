package node

import (
	"context"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// TestColdSnapshot: an archived order's folded state is kept with the hash
// of the coop state it was folded with, and read back equal (same state
// hash) only under that hash; the restaurant's orders by party read the
// same states from the index after archival and after a change to the
// coop's state, when they are folded from the events again.
func TestColdSnapshot(t *testing.T) {
	t.Cleanup(leakCheck(t))
	clk := newFakeClock()
	w := newArchWorld(t, clk.Now().UnixMilli())
	o := w.order()
	n := archNode(t, clk, "resto", RoleRestaurant, w, nil, o)
	ctx := context.Background()
	live, err := n.Order(ctx, o.id)
	must(t, err)
	stamp := [32]byte{1}
	snap, err := coldSnapshot(stamp, live)
	must(t, err)
	if s, ok := decodeSnapshot(o.id, snap, stamp); !ok || s.Hash() != live.Hash() {
		t.Fatalf("snapshot read back: %v", ok)
	}
	if _, ok := decodeSnapshot(o.id, snap, [32]byte{2}); ok {
		t.Fatal("a snapshot folded with another coop state was read")
	}
	if _, ok := decodeSnapshot(crdt.ID{9}, snap, stamp); ok {
		t.Fatal("a snapshot was read for another order")
	}
	archiveAt(t, n, clk, pastHorizon(o.last(w)))
	if n.Stats(ctx).Archived != 1 {
		t.Fatal("not archived")
	}
	ids, snaps, err := n.store.coldIndexed(ctx, w.pub("resto"), "", 0)
	must(t, err)
	if len(ids) != 1 || len(snaps[0]) < 32 {
		t.Fatalf("party index: %d orders, no state held", len(ids))
	}
	check := func(when string) {
		t.Helper()
		got, err := n.Orders(ctx, OrderFilter{Party: w.pub("resto")})
		must(t, err)
		if len(got) != 1 || got[0].Hash() != live.Hash() {
			t.Fatalf("%s: %d orders, or the state differs", when, len(got))
		}
	}
	check("after archival")
	// a change to the coop log: the kept state is not read, the events are folded again
	head, err := protocol.ID(w.base[len(w.base)-1])
	must(t, err)
	w.w0 = clk.Now().UnixMilli()
	w.seal("admin", protocol.Draft{Coop: w.coop, Scope: w.coop, Kind: crdt.KindMemberAdmit, Parents: []crdt.ID{head}, Lamport: 4,
		Body: &crdt.MemberAdmit{Member: w.pub("late"), Roles: crdt.RoleCourier, Name: "late"}})
	if res := feed(t, n, srcSync, w.base[len(w.base)-1]); res[0].out.Status != crdt.Stored {
		t.Fatalf("admit: %v %s", res[0].res, res[0].out.Status)
	}
	var stamp2, hash [32]byte
	must(t, n.do(ctx, func() error {
		stamp2, hash = n.cold.stamp(n.replica.CoopView(w.coop)), n.replica.CoopView(w.coop).Hash()
		return nil
	}))
	if stamp2 != hash || stamp2 == snapStamp(snaps[0]) {
		t.Fatal("the stamp is not the coop state's hash after a change")
	}
	check("after a coop change")
}

func snapStamp(snap []byte) [32]byte {
	return [32]byte(snap[:32])
}

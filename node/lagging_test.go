package node

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// lagFixture is a coop on a cluster's nodes with a restaurant and a
// courier that run no node (their keys sign here), and an order placed by
// a customer key.
type lagFixture struct {
	c                    *cluster
	resto, courier, cust ed25519.PrivateKey
	place                []byte
	placeID              crdt.ID
}

// newLagFixture founds the coop on an admin node that starts no sync
// session by itself, so that tests decide which events each node holds.
func newLagFixture(t *testing.T) *lagFixture {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	c.admin = c.startNode("admin", RoleAdmin, WithSyncOnConnect(false))
	id, err := c.admin.Found(ctx, crdt.CoopGenesis{Name: "Lag Coop", City: "Nantes", Currency: "EUR"})
	must(t, err)
	c.coop = id
	f := &lagFixture{c: c, resto: nodeKey("lag resto"), courier: nodeKey("lag courier"), cust: nodeKey("lag customer")}
	must(t, f.c.admin.Admit(f.c.ctx, protocol.PubKeyOf(f.resto), crdt.RoleRestaurant, "resto"))
	p := samplePlace(protocol.PubKeyOf(f.resto))
	f.place = f.seal(t, f.cust, protocol.Draft{Kind: crdt.KindOrderPlace, Lamport: 1, Body: &p})
	f.placeID, _ = protocol.ID(f.place)
	return f
}

func (f *lagFixture) seal(t *testing.T, k ed25519.PrivateKey, d protocol.Draft) []byte {
	t.Helper()
	d.Coop = f.c.coop
	if d.Wall == 0 {
		d.Wall = time.Now().UnixMilli()
	}
	_, raw, err := protocol.Seal(k, d)
	must(t, err)
	return raw
}

// claim is a claim by the courier key on the order, the i-th of siblings.
func (f *lagFixture) claim(t *testing.T, i int) []byte {
	return f.seal(t, f.courier, protocol.Draft{Kind: crdt.KindCourierClaim, Scope: f.placeID, Parents: []crdt.ID{f.placeID},
		Lamport: 2, Wall: time.Now().UnixMilli() + int64(i), Body: &crdt.CourierClaim{}})
}

func holds(t *testing.T, n *Node, id crdt.ID) bool {
	var ok bool
	must(t, n.do(n.ctx, func() error { ok = n.replica.Has(id); return nil }))
	return ok
}

// TestLaggingClaimRetried: a claim by a courier whose admission has not
// reached the node yet is ignored, not rejected (no penalty for whoever
// forwarded it), kept, and stored as soon as the admission arrives —
// without any sync (SPEC.md §10.2, §15.3). Before the fix it was rejected
// and lost until a sync session brought it again.
func TestLaggingClaimRetried(t *testing.T) {
	f := newLagFixture(t)
	n := f.c.admin
	if res, _, err := n.submit(f.c.ctx, f.place, protocol.ModeGossip); err != nil || res.Verdict != protocol.Accept {
		t.Fatalf("place: %s %v", res, err)
	}
	claim := f.claim(t, 0)
	claimID, _ := protocol.ID(claim)
	res, _, err := n.submit(f.c.ctx, claim, protocol.ModeGossip)
	must(t, err)
	if res.Verdict != protocol.Ignore || res.Reason != protocol.Reason(crdt.ReasonNotCourier) || !res.Retry() {
		t.Fatalf("claim before the admission: %s (retry %v), want ignore not_courier with retry", res, res.Retry())
	}
	rejected := n.Stats(f.c.ctx).GossipRejected
	if holds(t, n, claimID) {
		t.Fatal("stored before the admission")
	}
	must(t, n.Admit(f.c.ctx, protocol.PubKeyOf(f.courier), crdt.RoleCourier, "late courier"))
	if !holds(t, n, claimID) {
		t.Fatal("the admission arrived, the kept claim was not retried")
	}
	if st := n.Stats(f.c.ctx); st.GossipRejected != rejected || rejected != 0 {
		t.Fatalf("gossip rejections %d then %d: the lagging claim counted as a Reject", rejected, st.GossipRejected)
	}
}

// TestRejectedNotRetransferred: two nodes that each hold claims the other
// refuses for good (a courier over the claim cap: which claims a node holds
// depends on arrival order) exchange them once; later sessions transfer
// nothing (SPEC.md §15.3 "perpetual re-transfer"). Before the fix every
// session carried them again.
func TestRejectedNotRetransferred(t *testing.T) {
	f := newLagFixture(t)
	a := f.c.admin
	must(t, a.Admit(f.c.ctx, protocol.PubKeyOf(f.courier), crdt.RoleCourier, "greedy courier"))
	// b is not connected yet: it gets a's coop log by hand, then its own
	// claims, so that nothing but the sessions below moves events
	b := f.c.startNode("relay", RoleRelay, WithSyncOnConnect(false))
	var coopLog [][]byte
	must(t, a.do(f.c.ctx, func() error {
		for _, e := range a.replica.ScopeEvents(crdt.ScopeCoop, f.c.coop, f.c.coop) {
			raw, err := a.store.GetEvent(f.c.ctx, e.ID)
			if err != nil {
				return err
			}
			coopLog = append(coopLog, raw)
		}
		return nil
	}))
	for _, raw := range coopLog {
		if res, _, err := b.submit(f.c.ctx, raw, protocol.ModeSync); err != nil || res.Verdict != protocol.Accept {
			t.Fatalf("coop log on b: %s %v", res, err)
		}
	}
	claims := make([][]byte, crdt.MaxClaimsPerCourier+1)
	for i := range claims {
		claims[i] = f.claim(t, i)
	}
	// a holds claims 0..7, b holds 1..8: each refuses the other's extra one
	for who, set := range map[*Node][][]byte{a: claims[:crdt.MaxClaimsPerCourier], b: claims[1:]} {
		for _, raw := range append([][]byte{f.place}, set...) {
			if res, _, err := who.submit(f.c.ctx, raw, protocol.ModeSync); err != nil || (res.Verdict != protocol.Accept && res.Reason != protocol.ReasonDuplicate) {
				t.Fatalf("submit: %s %v", res, err)
			}
		}
	}
	f.c.connect(b, a)
	// sessions (ours, or one a graft starts) exchange the two extra
	// claims, each refused by its receiver; a sends order events only to
	// a follower of the orders topic, which it learns by gossip
	id0, _ := protocol.ID(claims[0])
	id8, _ := protocol.ID(claims[crdt.MaxClaimsPerCourier])
	waitFor(t, "each node refused the other's extra claim", func() bool {
		if _, err := a.Sync(f.c.ctx, b.ID()); err != nil {
			t.Fatal(err)
		}
		return a.rejected.has(id8) && b.rejected.has(id0)
	})
	for i, pair := range [][2]*Node{{a, b}, {b, a}, {a, b}} {
		rep, err := pair[0].Sync(f.c.ctx, pair[1].ID())
		must(t, err)
		if rep.EventsIn != 0 || rep.EventsOut != 0 || rep.Wanted != 0 {
			t.Fatalf("session %d after the exchange carried events again: %+v", i+1, rep)
		}
	}
	for _, n := range []*Node{a, b} {
		var stored int
		must(t, n.do(f.c.ctx, func() error {
			for _, e := range n.replica.ScopeEvents(crdt.ScopeOrder, f.c.coop, f.placeID) {
				if e.Kind == crdt.KindCourierClaim {
					stored++
				}
			}
			return nil
		}))
		if stored != crdt.MaxClaimsPerCourier {
			t.Fatalf("a node holds %d claims of one courier, want %d", stored, crdt.MaxClaimsPerCourier)
		}
	}
}

// TestLaggingClaimOverGossip: the same through the gossip validator. A peer
// forwards a claim by a courier whose admission the node has not received:
// the validator ignores it (the forwarder is not scored down: no gossip
// Reject is counted), keeps it, and the node stores it as soon as the
// admission arrives, without a sync session.
func TestLaggingClaimOverGossip(t *testing.T) {
	f := newLagFixture(t)
	n := f.c.admin
	fwd := newAttacker(t, f.c.ctx, "honest forwarder", f.c.coop, n)
	orders := protocol.TopicOrders(f.c.coop)
	placeID := f.placeID
	fwd.send(orders, f.place)
	waitFor(t, "the order arrives by gossip", func() bool { return holds(t, n, placeID) })
	claim := f.claim(t, 0)
	claimID, _ := protocol.ID(claim)
	fwd.send(orders, claim)
	waitFor(t, "the claim is kept for a retry", func() bool {
		kept := false
		must(t, n.do(f.c.ctx, func() error { _, kept = n.lagged.byID[claimID]; return nil }))
		return kept
	})
	if holds(t, n, claimID) {
		t.Fatal("stored before the admission")
	}
	if st := n.Stats(f.c.ctx); st.GossipRejected != 0 {
		t.Fatalf("%d gossip rejections: the forwarder was scored down for our lag", st.GossipRejected)
	}
	must(t, n.Admit(f.c.ctx, protocol.PubKeyOf(f.courier), crdt.RoleCourier, "late courier"))
	if !holds(t, n, claimID) {
		t.Fatal("the admission arrived, the kept claim was not retried")
	}
}

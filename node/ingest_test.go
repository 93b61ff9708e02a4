package node

import (
	"context"
	"math/rand"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// TestSyncBatchAdmission: a sync frame is one batch. An event refused for
// authority that an earlier event of the same frame grants (an order with
// a restaurant admitted in the same frame) is admitted once that event is
// applied, and an event refused for good is never written to the store
// (SPEC.md §12.1: "anything but Accept stops here; nothing stored").
func TestSyncBatchAdmission(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := New(ctx, WithKey(nodeKey("admin")), WithRole(RoleAdmin), WithListen("/ip4/127.0.0.1/tcp/0"), WithSyncInterval(-1))
	must(t, err)
	defer n.Close()
	coop, err := n.Found(ctx, crdt.CoopGenesis{Name: "Batch Coop", City: "Nantes", Currency: "EUR"})
	must(t, err)

	resto, stranger := nodeKey("resto"), nodeKey("stranger")
	admit, admitRaw, err := protocol.Seal(nodeKey("admin"), protocol.Draft{Coop: coop, Scope: coop, Kind: crdt.KindMemberAdmit,
		Parents: []crdt.ID{coop}, Lamport: 2, Wall: time.Now().UnixMilli(),
		Body: &crdt.MemberAdmit{Member: protocol.PubKeyOf(resto), Roles: crdt.RoleRestaurant, Name: "resto"}})
	must(t, err)
	place := func(r crdt.PubKey) (*crdt.Event, []byte) {
		body := samplePlace(r)
		e, raw, err := protocol.Seal(nodeKey("customer"), protocol.Draft{Coop: coop, Kind: crdt.KindOrderPlace, Lamport: 1, Wall: time.Now().UnixMilli(), Body: &body})
		must(t, err)
		return e, raw
	}
	good, goodRaw := place(protocol.PubKeyOf(resto))
	bad, badRaw := place(protocol.PubKeyOf(stranger)) // not a member: refused for good
	// the orders first in the frame: the receiver sorts coop events first,
	// and the order is still refused until the admission is applied
	if _, _, err := n.receiveEvents(ctx, &frameRW{}, encodeEvents([][]byte{goodRaw, badRaw, admitRaw}), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Order(ctx, good.ID); err != nil {
		t.Fatalf("the order of a restaurant admitted in the same frame: %v", err)
	}
	if _, err := n.Order(ctx, bad.ID); err == nil {
		t.Fatal("an order naming a stranger as its restaurant was stored")
	}
	for name, c := range map[string]struct {
		id   crdt.ID
		want bool
	}{"admission": {admit.ID, true}, "order": {good.ID, true}, "refused order": {bad.ID, false}} {
		if ok, err := n.store.HasEvent(ctx, c.id); err != nil || ok != c.want {
			t.Errorf("%s on disk: %v, want %v (%v)", name, ok, c.want, err)
		}
	}
}

// TestBatchAnyOrder: one batch holding a coop's whole history, in any
// order — the coop's genesis after its orders, a courier's claim before
// its admission — folds to the same state as the same events applied in
// causal order, with every event stored and on disk and none left pending
// (SPEC.md §4.3, §12.1): admission in rounds lets in what an earlier
// round's events make admissible.
func TestBatchAnyOrder(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wall := time.Now().UnixMilli()
	seal := func(who string, d protocol.Draft) (*crdt.Event, []byte) {
		d.Wall = wall
		e, raw, err := protocol.Seal(nodeKey(who), d)
		must(t, err)
		return e, raw
	}
	pub := func(who string) crdt.PubKey { return protocol.PubKeyOf(nodeKey(who)) }
	g, gRaw := seal("admin", protocol.Draft{Kind: crdt.KindCoopGenesis, Lamport: 1,
		Body: &crdt.CoopGenesis{Name: "Any Order Coop", City: "Nantes", Currency: "EUR", Admins: []crdt.PubKey{pub("admin")}}})
	coop := g.ID
	ar, arRaw := seal("admin", protocol.Draft{Coop: coop, Scope: coop, Kind: crdt.KindMemberAdmit, Parents: []crdt.ID{coop}, Lamport: 2,
		Body: &crdt.MemberAdmit{Member: pub("resto"), Roles: crdt.RoleRestaurant, Name: "resto"}})
	_, acRaw := seal("admin", protocol.Draft{Coop: coop, Scope: coop, Kind: crdt.KindMemberAdmit, Parents: []crdt.ID{ar.ID}, Lamport: 3,
		Body: &crdt.MemberAdmit{Member: pub("courier"), Roles: crdt.RoleCourier, Name: "courier"}})
	body := samplePlace(pub("resto"))
	p, pRaw := seal("customer", protocol.Draft{Coop: coop, Kind: crdt.KindOrderPlace, Lamport: 1, Body: &body})
	a, aRaw := seal("resto", protocol.Draft{Coop: coop, Scope: p.ID, Kind: crdt.KindOrderAccept, Parents: []crdt.ID{p.ID}, Lamport: 2, Body: &crdt.OrderAccept{PrepMinutes: 10}})
	_, cRaw := seal("courier", protocol.Draft{Coop: coop, Scope: p.ID, Kind: crdt.KindCourierClaim, Parents: []crdt.ID{a.ID}, Lamport: 3, Body: &crdt.CourierClaim{}})
	raws := [][]byte{gRaw, arRaw, acRaw, pRaw, aRaw, cRaw}

	// the state the events give, folded in causal order without a node
	ref := newReplica()
	for _, raw := range raws {
		e, err := protocol.Decode(raw)
		must(t, err)
		if out := ref.Apply(e); out.Status != crdt.Stored {
			t.Fatalf("reference fold: %s %s", e.Kind, out.Status)
		}
	}
	want, ok := ref.OrderHash(p.ID)
	if !ok {
		t.Fatal("no order in the reference fold")
	}

	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 24; round++ {
		perm := rng.Perm(len(raws))
		n, err := New(ctx, WithKey(nodeKey("observer")), WithRole(RoleRelay), WithListen("/ip4/127.0.0.1/tcp/0"), WithSyncInterval(-1), WithCoop(coop))
		must(t, err)
		batch := make([]incoming, len(raws))
		for i, j := range perm {
			batch[i] = incoming{raw: raws[j], src: srcSync}
		}
		var got [32]byte
		var stored, pending, onDisk int
		must(t, n.do(ctx, func() error {
			for i, r := range n.ingest(batch...) {
				if r.res.Verdict != protocol.Accept {
					t.Errorf("order %v: event %d: %s", perm, i, r.res)
				}
			}
			got, _ = n.replica.OrderHash(p.ID)
			stored, pending = n.replica.Len(), n.replica.PendingLen()
			return n.store.ForEachEvent(ctx, func(crdt.ID, []byte) error { onDisk++; return nil })
		}))
		must(t, n.Close())
		if got != want || stored != len(raws) || pending != 0 || onDisk != len(raws) {
			t.Fatalf("order %v: hash equal %v, %d stored, %d pending, %d on disk (want %d)", perm, got == want, stored, pending, onDisk, len(raws))
		}
	}
}

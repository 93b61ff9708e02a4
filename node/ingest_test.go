package node

import (
	"context"
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

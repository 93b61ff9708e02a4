package node

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// TestPartyPush (SPEC.md §10.4): customers and restaurants do not follow
// the orders topic, yet an order goes from placed to delivered with its
// customer and restaurant seeing every step, by push from the followers
// they are connected to; a customer and a restaurant that are not party to
// it never receive it.
//
// Topology (newCluster, names sorted): every node is connected to the admin
// (a follower); besides, cust–courier, other–cust, resto–other and
// resto2–resto. So cust and resto are not connected to each other, and the
// restaurant's events reach the customer only through a follower.
func TestPartyPush(t *testing.T) {
	c := newCluster(t, map[string]Role{"courier": RoleCourier, "cust": RoleCustomer, "other": RoleCustomer, "resto": RoleRestaurant, "resto2": RoleRestaurant})
	ctx := c.ctx
	cust, resto, courier := c.nodes["cust"], c.nodes["resto"], c.nodes["courier"]
	bystanders := []*Node{c.nodes["other"], c.nodes["resto2"]}
	for _, n := range []*Node{cust, resto, bystanders[0], bystanders[1]} {
		f, err := n.Following(ctx)
		must(t, err)
		if f.Orders || !f.Coop || !f.Catalog {
			t.Fatalf("%s follows %+v; want the coop and catalogue topics but not the orders topic", n.Role(), f)
		}
	}
	if f, err := courier.Following(ctx); err != nil || !f.Orders {
		t.Fatalf("courier follows %+v, %v; want the orders topic", f, err)
	}

	id, err := cust.PlaceUnpriced(ctx, samplePlace(resto.Key()))
	must(t, err)
	c.eventually("placed", c.orderIs(id, crdt.StatusPlaced))
	must(t, resto.Accept(ctx, id, 5))
	c.eventually("accepted", c.orderIs(id, crdt.StatusAccepted))
	claim, err := courier.Claim(ctx, id, crdt.Position{})
	must(t, err)
	if r, err := courier.AwaitClaim(ctx, id, claim); err != nil || !r.Won || !r.Confirmed {
		t.Fatalf("claim: %+v %v", r, err) // the restaurant confirmed: it saw the claim by push
	}
	must(t, resto.Ready(ctx, id))
	must(t, courier.Pickup(ctx, id))
	must(t, courier.Deliver(ctx, id, crdt.Proof{Recipient: "Jo", PhotoHash: make([]byte, 32)}))
	c.eventually("delivered", c.orderIs(id, crdt.StatusDelivered))
	h := c.converged(id)
	for _, n := range []*Node{cust, resto} {
		s, err := n.Order(ctx, id)
		if err != nil || s.Hash() != h {
			t.Fatalf("%s: %v, hash differs", n.Role(), err)
		}
		if st := n.Stats(ctx); st.PushAccepted == 0 {
			t.Errorf("%s stored no pushed event: %+v", n.Role(), st)
		}
	}
	// a node that needs the order has it: now check that those that do
	// not never got it, nor any push
	for _, n := range bystanders {
		if _, err := n.Order(ctx, id); !errors.Is(err, ErrUnknown) {
			t.Errorf("bystander %s holds the order: %v (%+v)", n.Role(), err, n.Stats(ctx))
		}
		if st := n.Stats(ctx); st.PushAccepted+st.PushDuplicate+st.PushRejected != 0 {
			t.Errorf("bystander %s received pushes: %+v", n.Role(), st)
		}
	}
}

// TestPushRefusesBadInput (SPEC.md §10.4): a push stream with a broken
// frame is reset, and pushed events that are not this coop's order events
// are refused; nothing is stored.
func TestPushRefusesBadInput(t *testing.T) {
	c := newCluster(t, map[string]Role{"cust": RoleCustomer})
	ctx := c.ctx
	cust := c.nodes["cust"]
	before := cust.Stats(ctx)

	open := func() interface {
		Write([]byte) (int, error)
		Close() error
	} {
		s, err := c.admin.Host().NewStream(ctx, cust.ID(), protocol.PushProtocolID)
		must(t, err)
		return s
	}
	// 1. a coop-log event (not an order event) in a good frame: refused
	d := protocol.Draft{Coop: c.coop, Kind: crdt.KindMemberAdmit, Lamport: 2, Wall: time.Now().UnixMilli(),
		Parents: nil, Body: &crdt.MemberAdmit{Member: crdt.PubKey{7}, Roles: crdt.RoleCourier, Name: "x"}}
	hs, l := coopHeads(t, c.admin)
	d.Parents, d.Lamport = hs, l
	_, raw, err := protocol.Seal(nodeKey("admin"), d)
	must(t, err)
	frame, err := protocol.AppendPushFrame(nil, raw)
	must(t, err)
	s := open()
	_, err = s.Write(frame)
	must(t, err)
	must(t, s.Close())
	eventually(t, 10*time.Second, "the coop event refused", func() bool { return cust.Stats(ctx).PushRejected > before.PushRejected })

	// 2. a broken frame: the stream is reset, nothing is stored
	s = open()
	_, _ = s.Write([]byte{0x81, 0x00, 'x'}) // non-minimal length
	_ = s.Close()
	// 3. garbage inside a good frame: refused
	bad, err := protocol.AppendPushFrame(nil, bytes.Repeat([]byte{0xff}, 40))
	must(t, err)
	s = open()
	_, err = s.Write(bad)
	must(t, err)
	must(t, s.Close())
	eventually(t, 10*time.Second, "the garbage refused", func() bool { return cust.Stats(ctx).PushRejected > before.PushRejected+1 })
	after := cust.Stats(ctx)
	if after.EventsStored != before.EventsStored || after.PushAccepted != 0 {
		t.Fatalf("bad pushes changed the store: before %+v after %+v", before, after)
	}
	if cs, err := cust.CoopState(ctx); err != nil || len(cs.Members) != 1 {
		t.Fatalf("coop state changed: %v %v", cs, err)
	}
}

// coopHeads returns the coop log's heads and next Lamport on n.
func coopHeads(t *testing.T, n *Node) ([]crdt.ID, uint64) {
	var hs []crdt.ID
	var l uint64
	must(t, n.do(context.Background(), func() error {
		hs = n.replica.Heads(crdt.ScopeCoop, n.cfg.coop)
		l = n.replica.NextLamport(hs)
		return nil
	}))
	return hs, l
}

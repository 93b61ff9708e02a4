package node

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// TestRelayOnColdMesh: in a line A — B — C, what B held before A's gossip
// mesh with it formed must reach A with periodic anti-entropy off.
// Gossipsub forms meshes on heartbeats, and what B relayed before its mesh
// formed reached nobody; the node syncs with every peer grafted into a mesh
// to close that window (found with the CLI test, where it cost 30 s).
//
// The order is placed, and held by the restaurant B, before the courier A
// connects, and the sessions a connection starts are off: the graft sync
// is A's only way to the order. (The test used to place the order right
// after connecting A and assert that A got it; B, a restaurant, follows no
// orders topic and A is no party, so only a sync after B had the order
// could bring it, and under load the one graft sync sometimes came before
// the order existed: issue 12.10.)
func TestRelayOnColdMesh(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	b := c.startNode("b-resto", RoleRestaurant, WithSyncInterval(-1), WithSyncOnConnect(false))
	id, err := b.Found(ctx, crdt.CoopGenesis{Name: "Line"})
	must(t, err)
	must(t, b.Admit(ctx, b.Key(), crdt.RoleAdmin|crdt.RoleRestaurant, "B"))
	c.coop = id
	cust := c.startNode("c-customer", RoleCustomer, WithSyncInterval(-1))
	c.connect(cust, b)
	c.eventually("members", func(n *Node) bool { cs, err := n.CoopState(ctx); return err == nil && len(cs.Members) == 1 })
	order, err := cust.PlaceUnpriced(ctx, samplePlace(b.Key()))
	must(t, err)
	c.eventually("placed, at B by push", c.has(order))

	start := time.Now()
	aKey := nodeKey("a-courier")
	must(t, b.Admit(ctx, crdt.PubKey(aKey.Public().(ed25519.PublicKey)), crdt.RoleCourier, "A"))
	a := c.startNode("a-courier", RoleCourier, WithSyncInterval(-1), WithSyncOnConnect(false))
	c.connect(a, b)
	c.eventually("placed, relayed by B once A's mesh formed", c.has(order))
	must(t, b.Accept(ctx, order, 1))
	c.eventually("accepted", c.orderIs(order, crdt.StatusAccepted))
	claim, err := a.Claim(ctx, order, crdt.Position{})
	must(t, err)
	_, err = a.AwaitClaim(ctx, order, claim)
	must(t, err)
	must(t, a.Pickup(ctx, order))
	c.eventually("picked up at the customer, relayed by B", c.orderIs(order, crdt.StatusPickedUp))
	t.Logf("connected to picked up across the relay in %v", time.Since(start))
}

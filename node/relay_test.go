package node

import (
	"context"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// TestRelayOnColdMesh: in a line A — B — C connected a moment ago, events
// must reach across B with periodic anti-entropy off. Gossipsub forms meshes
// on heartbeats, and what B relayed before its mesh formed reached nobody;
// the node syncs with every peer grafted into a mesh to close that window
// (found with the CLI test, where it cost 30 s).
func TestRelayOnColdMesh(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	b := c.startNode("b-resto", RoleRestaurant, WithSyncInterval(-1))
	id, err := b.Found(ctx, crdt.CoopGenesis{Name: "Line"})
	must(t, err)
	must(t, b.Admit(ctx, b.Key(), crdt.RoleAdmin|crdt.RoleRestaurant, "B"))
	c.coop = id
	a := c.startNode("a-courier", RoleCourier, WithSyncInterval(-1))
	cust := c.startNode("c-customer", RoleCustomer, WithSyncInterval(-1))
	must(t, b.Admit(ctx, a.Key(), crdt.RoleCourier, "A"))
	c.connect(a, b)
	c.connect(cust, b)
	c.eventually("members", func(n *Node) bool { cs, err := n.CoopState(ctx); return err == nil && len(cs.Members) == 2 })
	start := time.Now()
	order, err := cust.PlaceUnpriced(ctx, samplePlace(b.Key()))
	must(t, err)
	c.eventually("placed, relayed by B", c.has(order))
	must(t, b.Accept(ctx, order, 1))
	c.eventually("accepted", c.orderIs(order, crdt.StatusAccepted))
	claim, err := a.Claim(ctx, order, crdt.Position{})
	must(t, err)
	_, err = a.AwaitClaim(ctx, order, claim)
	must(t, err)
	must(t, a.Pickup(ctx, order))
	c.eventually("picked up at the customer, relayed by B", c.orderIs(order, crdt.StatusPickedUp))
	t.Logf("placed to picked up across the relay in %v", time.Since(start))
}

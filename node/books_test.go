package node

import (
	"math/rand"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// TestBooksSameDigestEverywhere: a day of a real cooperative — rules, a
// shift with a guaranteed hourly pay, two deliveries by two couriers and a
// cancelled order — then three fresh nodes each receive every event of the
// day in a different random order, one at a time, through the node's one
// ingest path. The open books (SPEC.md §21.3) of the three, and of the
// nodes that lived the day over gossip, have the same lines and the same
// digest (issue 16).
func TestBooksSameDigestEverywhere(t *testing.T) {
	c := newCluster(t, map[string]Role{"resto": RoleRestaurant, "c1": RoleCourier, "c2": RoleCourier, "cust": RoleCustomer})
	ctx := c.ctx
	resto, c1, c2, cust := c.nodes["resto"], c.nodes["c1"], c.nodes["c2"], c.nodes["cust"]
	must(t, c.admin.SetRules(ctx, testRules()))
	must(t, resto.PublishProfile(ctx, crdt.CatalogProfile{Name: "Chez Mia", Position: restoAt, Timezone: "Europe/Paris",
		Fulfilment: crdt.FulfilDelivery | crdt.FulfilCollection, MinOrderCents: 800, PrepMinutes: 12, Enabled: true}))
	must(t, resto.PublishMenu(ctx, testMenu()))
	now := time.Now()
	shift, err := c.admin.PlanShift(ctx, crdt.ShiftPlan{Start: now.Add(-10 * time.Minute).UnixMilli(), End: now.Add(2 * time.Hour).UnixMilli(),
		Needed: 2, GuaranteeCents: 1500})
	must(t, err)
	c.eventually("rules, menu and shift everywhere", func(n *Node) bool {
		rs, err := n.Restaurants(ctx)
		shifts, serr := n.Shifts(ctx)
		return err == nil && serr == nil && len(rs) == 1 && rs[0].Menu != nil && rs[0].Profile != nil && len(shifts) == 1
	})
	must(t, c1.SignUp(ctx, shift))

	cart := market.Cart{Restaurant: resto.Key(), Fulfilment: crdt.FulfilDelivery, TipCents: 150,
		Dropoff: crdt.Position{LatE6: 47_210_123, LonE6: -1_560_456},
		Items:   []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"harissa"}}}}
	deliver := func(courier *Node) crdt.ID {
		id, _, err := cust.Checkout(ctx, cart, PersonalData{Name: "Léa"}, "")
		must(t, err)
		c.eventually("placed everywhere", c.has(id))
		must(t, resto.Accept(ctx, id, 0))
		c.eventually("accepted", c.orderIs(id, crdt.StatusAccepted))
		claim, err := courier.Claim(ctx, id, restoAt)
		must(t, err)
		if r, err := courier.AwaitClaim(ctx, id, claim); err != nil || !r.Won {
			t.Fatalf("claim %+v %v", r, err)
		}
		must(t, courier.Pickup(ctx, id))
		must(t, courier.Deliver(ctx, id, crdt.Proof{Recipient: "door"}))
		c.eventually("delivered", c.orderIs(id, crdt.StatusDelivered))
		return id
	}
	deliver(c1)
	deliver(c2)
	gone, _, err := cust.Checkout(ctx, cart, PersonalData{}, "")
	must(t, err)
	must(t, cust.Cancel(ctx, gone, crdt.ReasonCustomer))
	c.eventually("cancelled", c.orderIs(gone, crdt.StatusCancelled))

	// every event of the day, as the admin's node stored it
	var raws [][]byte
	must(t, c.admin.store.ForEachEvent(ctx, func(_ crdt.ID, raw []byte) error {
		raws = append(raws, append([]byte(nil), raw...))
		return nil
	}))
	want, err := c.admin.Books(ctx, market.Period{})
	must(t, err)
	if len(want.Orders.Rows) != 3 || len(want.Shifts.Rows) != 1 || len(want.Rules.Rows) == 0 {
		t.Fatalf("the admin's books: %d order lines, %d shift lines, %d rules lines", len(want.Orders.Rows), len(want.Shifts.Rows), len(want.Rules.Rows))
	}
	for _, name := range []string{"resto", "c1", "c2"} {
		if b, err := c.nodes[name].Books(ctx, market.Period{}); err != nil || b.Digest != want.Digest {
			t.Fatalf("%s's books: digest %v (%v), want %s", name, b, err, want.Digest)
		}
	}

	rng := rand.New(rand.NewSource(21))
	for i := 0; i < 3; i++ {
		name := "observer" + string(rune('a'+i))
		o := c.startNode(name, RoleRelay, WithCoop(c.coop))
		// one event at a time in this node's own random order; what its
		// state refused as it stood then (a menu before its restaurant's
		// admission) is offered again on the next pass, as sync re-offers
		// it, until nothing more gets in
		order := rng.Perm(len(raws))
		held, passes := 0, 0
		for ; passes < 10 && held < len(raws); passes++ {
			for _, k := range order {
				raw := raws[k]
				must(t, o.do(ctx, func() error { o.ingest(incoming{raw: raw, src: srcSync}); return nil }))
			}
			must(t, o.do(ctx, func() error { held = o.replica.Len(); return nil }))
		}
		if held != len(raws) {
			t.Fatalf("%s holds %d events of %d", name, held, len(raws))
		}
		got, err := o.Books(ctx, market.Period{})
		must(t, err)
		if got.Digest != want.Digest || string(got.Canonical()) != string(want.Canonical()) {
			t.Fatalf("%s (events in the order %v): digest %s, want %s\n%s", name, order[:8], got.Digest, want.Digest, got.Canonical())
		}
		t.Logf("%s received %d events in %d passes, starting %v: digest %s", name, len(raws), passes, order[:5], got.Digest)
	}
}

package node

import (
	"errors"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// TestMarketplaceFlows drives the rest of the marketplace through the
// public Go API on real nodes: a shop's parcel delivery with two dropoffs,
// a restaurant's slots and auto-accept, and every restaurant transition
// (refuse, delay, start and finish preparing, collection, cancel, restore)
// (issue 4).
func TestMarketplaceFlows(t *testing.T) {
	c := newCluster(t, map[string]Role{"resto": RoleRestaurant, "shop": RoleRestaurant, "c1": RoleCourier, "cust": RoleCustomer})
	ctx := c.ctx
	resto, shop, c1, cust := c.nodes["resto"], c.nodes["shop"], c.nodes["c1"], c.nodes["cust"]
	must(t, c.admin.Admit(ctx, shop.Key(), crdt.RoleShop, "Vélo Fleurs"))
	must(t, c.admin.SetRules(ctx, testRules()))
	must(t, resto.PublishProfile(ctx, crdt.CatalogProfile{Name: "Chez Mia", Position: restoAt, Timezone: "Europe/Paris",
		Fulfilment: crdt.FulfilDelivery | crdt.FulfilCollection, Hours: []string{"Mo-Su 00:00-23:59"}, SlotMinutes: 15,
		PreOrder: true, PreOrderDays: 1, PrepMinutes: 10, AutoAccept: true, Enabled: true}))
	must(t, resto.PublishMenu(ctx, testMenu()))
	must(t, shop.PublishProfile(ctx, crdt.CatalogProfile{Name: "Vélo Fleurs", Position: restoAt, Shop: true, Enabled: true, Fulfilment: crdt.FulfilDelivery}))
	c.eventually("catalogues everywhere", func(n *Node) bool { rs, err := n.Restaurants(ctx); return err == nil && len(rs) == 2 })

	// slots: pre-ordering offers the next slots of 15 minutes
	slots, err := cust.Slots(ctx, resto.Key())
	must(t, err)
	if len(slots) < 4 {
		t.Fatalf("%d slots", len(slots))
	}

	// auto-accept: the restaurant's node accepts a valid order by itself
	cart := market.Cart{Restaurant: resto.Key(), Fulfilment: crdt.FulfilDelivery, Dropoff: crdt.Position{LatE6: 47_212_000, LonE6: -1_556_000},
		Items: []market.CartItem{{Product: "wrap", Quantity: 2, Options: []string{"tahini"}}}}
	auto, _, err := cust.Checkout(ctx, cart, PersonalData{Name: "Ana"}, "")
	must(t, err)
	c.eventually("auto-accepted", c.orderIs(auto, crdt.StatusAccepted))

	// a collection order through the kitchen to the counter
	coll := cart
	coll.Fulfilment, coll.Dropoff = crdt.FulfilCollection, crdt.Position{}
	collID, _, err := cust.Checkout(ctx, coll, PersonalData{Name: "Ana"}, "")
	must(t, err)
	c.eventually("collection accepted", c.orderIs(collID, crdt.StatusAccepted))
	must(t, resto.Delay(ctx, collID, 10))
	must(t, resto.StartPreparing(ctx, collID))
	must(t, resto.Ready(ctx, collID))
	must(t, resto.Fulfil(ctx, collID))
	c.eventually("collected", c.orderIs(collID, crdt.StatusFulfilled))
	if s, _ := cust.Order(ctx, collID); s.DelayMinutes != 10 {
		t.Fatalf("delay %d", s.DelayMinutes)
	}

	// cancel and restore; refuse
	must(t, resto.Cancel(ctx, auto, crdt.ReasonRushHour))
	c.eventually("cancelled", c.orderIs(auto, crdt.StatusCancelled))
	must(t, resto.Restore(ctx, auto))
	c.eventually("restored", c.orderIs(auto, crdt.StatusAccepted))
	slot := slots[len(slots)-1].TimeSlot()
	later := cart
	later.Slot = slot
	refused, _, err := cust.Checkout(ctx, later, PersonalData{}, "")
	must(t, err)
	c.eventually("pre-order placed and auto-accepted", c.orderIs(refused, crdt.StatusAccepted))
	// the refusal names the order's current status (invalid_transition)
	if err := resto.Refuse(ctx, refused, crdt.ReasonSoldOut); !errors.Is(err, ErrRefused) || Code(err) != "invalid_transition" ||
		err.Error() != "order.refuse refused: the order is accepted, which does not allow order.refuse (invalid_transition)" {
		t.Fatalf("refusing an accepted order: %v", err)
	}

	// a shop's parcel delivery with two dropoffs, priced by the rules
	id, q, err := shop.RequestDelivery(ctx, market.ParcelRequest{Dropoffs: []market.ParcelDropoff{
		{Position: crdt.Position{LatE6: 47_210_000, LonE6: -1_560_000}, Packages: 2, WeightG: 3000, Ref: "A-1"},
		{Position: crdt.Position{LatE6: 47_225_000, LonE6: -1_545_000}, Packages: 1, Ref: "A-2"},
	}})
	must(t, err)
	if q.FeeCents <= 0 || len(q.Dropoffs) != 2 {
		t.Fatalf("parcel quote %+v", q)
	}
	c.eventually("parcel job everywhere", c.orderIs(id, crdt.StatusAccepted))
	jobs, err := c1.Jobs(ctx, restoAt, 0)
	must(t, err)
	found := false
	for _, j := range jobs {
		found = found || j.Order.ID == id
	}
	if !found {
		t.Fatal("the parcel is not on the job board")
	}
	claim, err := c1.Claim(ctx, id, restoAt)
	must(t, err)
	if r, err := c1.AwaitClaim(ctx, id, claim); err != nil || !r.Won || !r.Confirmed {
		t.Fatalf("parcel claim: %+v %v", r, err)
	}
	must(t, c1.Pickup(ctx, id))
	must(t, c1.StartStop(ctx, id, 1))
	must(t, c1.DeliverStop(ctx, id, 1, crdt.Proof{Recipient: "Inès"}))
	s, _ := c1.Order(ctx, id)
	if s.Status != crdt.StatusPickedUp {
		t.Fatalf("after the first stop: %s", s.Status)
	}
	must(t, c1.DeliverStop(ctx, id, 2, crdt.Proof{Recipient: "Omar"}))
	c.eventually("parcel delivered everywhere", c.orderIs(id, crdt.StatusDelivered))
	rp, err := c.admin.Price(ctx, id) // the restaurant is not a party: it never sees the parcel (SPEC.md §10.4)
	must(t, err)
	if len(rp.Mismatches) != 0 {
		t.Fatalf("re-pricing the parcel on another node: %+v", rp.Mismatches)
	}
}

package market

import (
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// TestReputation: a courier's record with its bias protections (SPEC.md
// §21.4.4): one voice per rater, no rating counted on an order the kitchen
// delayed or given after the courier reported an incident against the
// rater, no mean shown under MinRaters raters.
func TestReputation(t *testing.T) {
	c, ids := day(t)
	rules, _ := RulesFor(c.state(), 0)
	next := ids["next day"]
	later := tuesdayNoon.Add(26 * time.Hour)
	c.emit("zoe", next, &crdt.IncidentReport{Category: "rude", Against: crdt.PartyCustomer}, later)
	c.emit("ann", next, &crdt.OrderRate{CourierStars: 1}, later.Add(time.Minute)) // after zoe's report: retaliation
	c.emit("resto", ids["a"], &crdt.OrderFeedback{Of: crdt.PartyCourier, Stars: 4}, later)
	c.emit("shop", ids["parcel"], &crdt.OrderRate{CourierStars: 5}, later)
	c.emit("zoe", ids["a"], &crdt.OrderFeedback{Of: crdt.PartyRestaurant, Stars: 2, Comment: "long wait"}, later)
	// an order the kitchen delayed: its courier rating does not count
	cart := testCart()
	cart.Restaurant = c.pub("resto")
	q, err := Checkout(cart, Context{Profile: testProfile(), Menu: testMenu(), Rules: rules, Now: tuesdayNoon.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	w := tuesdayNoon.Add(2 * time.Hour)
	d := c.emit("dan", crdt.ID{}, q.OrderPlace(PlaceExtras{}), w).ID
	c.emit("resto", d, &crdt.OrderAccept{}, w.Add(time.Minute))
	c.emit("resto", d, &crdt.OrderDelay{Minutes: 20}, w.Add(2*time.Minute))
	c.emit("zoe", d, &crdt.CourierClaim{}, w.Add(3*time.Minute))
	c.emit("zoe", d, &crdt.TaskPickup{}, w.Add(40*time.Minute))
	c.emit("zoe", d, &crdt.TaskDeliver{Proof: crdt.Proof{Recipient: "door"}}, w.Add(50*time.Minute))
	c.emit("dan", d, &crdt.OrderRate{CourierStars: 1}, w.Add(time.Hour))

	coop, orders := c.state(), c.r.Orders(c.id, nil)
	from, to := tuesdayNoon.Add(-24*time.Hour).UnixMilli(), tuesdayNoon.Add(72*time.Hour).UnixMilli()
	zoe, err := ReputationOf(coop, orders, c.pub("zoe"), crdt.PartyCourier, from, to)
	if err != nil {
		t.Fatal(err)
	}
	// ann 5 (her 1 is retaliation), resto 4, shop 5: (500+400+500)/3 = 466.67
	if zoe.Jobs != 4 || zoe.Delivered != 4 || zoe.Raters != 3 || zoe.Ratings != 3 || !zoe.Shown || zoe.MeanCentiStars != 467 ||
		zoe.Excluded[ExcludedRetaliation] != 1 || zoe.Excluded[ExcludedKitchenDelay] != 1 {
		t.Fatalf("zoe: %+v", zoe)
	}
	if zoe.OnTime < 1 || zoe.OnTime > zoe.Delivered {
		t.Fatalf("zoe on time %d of %d", zoe.OnTime, zoe.Delivered)
	}
	maxRep, _ := ReputationOf(coop, orders, c.pub("max"), crdt.PartyCourier, from, to)
	if maxRep.Jobs != 1 || maxRep.Shown || maxRep.MeanCentiStars != 0 {
		t.Fatalf("max: %+v", maxRep)
	}
	resto, _ := ReputationOf(coop, orders, c.pub("resto"), crdt.PartyRestaurant, from, to)
	if resto.Ratings != 2 || resto.Raters != 2 || resto.Shown || resto.Incidents != 0 { // ann's 4 stars, zoe's 2
		t.Fatalf("resto: %+v", resto)
	}
	// the customer's record is not aggregated
	if _, err := ReputationOf(coop, orders, c.pub("ann"), crdt.PartyCustomer, from, to); err == nil {
		t.Fatal("a customer reputation")
	}
	// the same whatever the order of the orders
	rev := append([]*crdt.OrderState(nil), orders...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if again, _ := ReputationOf(coop, rev, c.pub("zoe"), crdt.PartyCourier, from, to); again.MeanCentiStars != zoe.MeanCentiStars || again.Ratings != zoe.Ratings {
		t.Fatalf("reputation depends on order: %+v", again)
	}
}

package market

import (
	"errors"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

func placed(t *testing.T, cart Cart, now time.Time) *crdt.OrderState {
	t.Helper()
	q, err := Checkout(cart, testCtx(t, now))
	if err != nil {
		t.Fatal(err)
	}
	return &crdt.OrderState{ID: crdt.ID{byte(now.Minute())}, Restaurant: cart.Restaurant, Status: crdt.StatusPlaced,
		Place: *q.OrderPlace(PlaceExtras{}), PlacedAt: q.PricedAt}
}

func TestVerifyOrder(t *testing.T) {
	s := placed(t, testCart(), tuesdayNoon)
	later := testCtx(t, tuesdayNoon.Add(3*time.Minute)) // the restaurant checks a little later
	if q, err := VerifyOrder(s, later, nil); err != nil || q.TotalCents != s.Place.Totals.TotalCents {
		t.Fatalf("honest order: %v", err)
	}
	exact := testCart().Dropoff
	if _, err := VerifyOrder(s, later, &exact); err != nil {
		t.Fatalf("with the exact address: %v", err)
	}
	lied := farDrop
	if _, err := VerifyOrder(s, later, &lied); !errors.Is(err, ErrPriceMismatch) {
		t.Fatalf("a farther exact address: %v", err)
	}
	outside := outsideDrp
	if _, err := VerifyOrder(s, later, &outside); !errors.Is(err, ErrOutsideZone) {
		t.Fatalf("an exact address outside the zone: %v", err)
	}
	col := testCart()
	col.Fulfilment, col.Dropoff = crdt.FulfilCollection, crdt.Position{}
	if _, err := VerifyOrder(placed(t, col, tuesdayNoon), later, nil); err != nil {
		t.Fatalf("collection: %v", err)
	}
	for _, c := range []struct {
		name string
		mut  func(s *crdt.OrderState, x *Context)
		want error
	}{
		{"cheaper delivery", func(s *crdt.OrderState, _ *Context) { s.Place.Totals.DeliveryCents--; s.Place.Totals.TotalCents-- }, ErrPriceMismatch},
		{"cheaper wrap", func(s *crdt.OrderState, _ *Context) { s.Place.Items[0].UnitCents = 100 }, ErrPriceMismatch},
		{"short distance", func(s *crdt.OrderState, _ *Context) { s.Place.DistanceM = 100; s.Place.DropoffZones = []string{"city"} }, ErrPriceMismatch},
		{"newer rules", func(_ *crdt.OrderState, x *Context) { x.Rules.Set.Version = 4 }, ErrPriceMismatch},
		{"outside the zone", func(s *crdt.OrderState, _ *Context) { s.Place.DropoffZones = []string{"centre"} }, ErrOutsideZone},
		{"sold out since", func(_ *crdt.OrderState, x *Context) { x.Menu.Sections[1].Products[0].SoldOut = true }, ErrUnavailableItem},
		{"placed while closed", func(s *crdt.OrderState, _ *Context) { s.PlacedAt = at(2026, 3, 10, 16, 0).UnixMilli() }, ErrRestaurantClosed},
		{"third order in the window", func(s *crdt.OrderState, x *Context) {
			x.Orders = []*crdt.OrderState{
				{ID: crdt.ID{1}, Restaurant: s.Restaurant, Status: crdt.StatusAccepted, PlacedAt: s.PlacedAt - 60_000},
				{ID: crdt.ID{2}, Restaurant: s.Restaurant, Status: crdt.StatusPlaced, PlacedAt: s.PlacedAt - 1},
				s, // itself: not counted
				{ID: crdt.ID{3}, Restaurant: s.Restaurant, Status: crdt.StatusPlaced, PlacedAt: s.PlacedAt + 1}, // later: not counted
			}
		}, ErrTooManyOrders},
	} {
		s := placed(t, testCart(), tuesdayNoon.Add(5*time.Minute))
		x := testCtx(t, tuesdayNoon.Add(8*time.Minute))
		c.mut(s, &x)
		if _, err := VerifyOrder(s, x, nil); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	s = placed(t, testCart(), tuesdayNoon.Add(5*time.Minute))
	x := testCtx(t, tuesdayNoon)
	x.Orders = []*crdt.OrderState{{ID: crdt.ID{1}, Restaurant: s.Restaurant, Status: crdt.StatusAccepted, PlacedAt: s.PlacedAt - 60_000}, s}
	if _, err := VerifyOrder(s, x, nil); err != nil {
		t.Fatalf("second order in the window: %v", err)
	}
}

// TestAutoAcceptOrder: the auto-accept decision for every kind of order a
// restaurant's node may see (SPEC.md §16.6.4).
func TestAutoAcceptOrder(t *testing.T) {
	auto := func(x *Context) { x.Profile.AutoAccept = true }
	for _, c := range []struct {
		name string
		mut  func(s *crdt.OrderState, x *Context)
		want AutoDecision
	}{
		{"auto-accept off", func(*crdt.OrderState, *Context) {}, AutoDecision{Action: AutoLeave}},
		{"sound order", func(_ *crdt.OrderState, x *Context) { auto(x) }, AutoDecision{Action: AutoAccept, PrepMinutes: 15}},
		{"in a rush", func(_ *crdt.OrderState, x *Context) {
			auto(x)
			x.Profile.Rush, x.Profile.RushExtraM = true, 10
		}, AutoDecision{Action: AutoAccept, PrepMinutes: 25}},
		{"no profile", func(_ *crdt.OrderState, x *Context) { x.Profile = nil }, AutoDecision{Action: AutoLeave}},
		{"already accepted", func(s *crdt.OrderState, x *Context) { auto(x); s.Status = crdt.StatusAccepted }, AutoDecision{Action: AutoLeave}},
		{"parcel", func(s *crdt.OrderState, x *Context) { auto(x); s.Place.Parcel = true }, AutoDecision{Action: AutoLeave}},
		{"sold out since", func(_ *crdt.OrderState, x *Context) {
			auto(x)
			x.Menu.Sections[1].Products[0].SoldOut = true
		}, AutoDecision{Action: AutoRefuse, Reason: crdt.ReasonSoldOut}},
		{"placed while closed", func(s *crdt.OrderState, x *Context) {
			auto(x)
			s.PlacedAt = at(2026, 3, 10, 16, 0).UnixMilli()
		}, AutoDecision{Action: AutoRefuse, Reason: crdt.ReasonClosing}},
		{"price mismatch", func(s *crdt.OrderState, x *Context) {
			auto(x)
			s.Place.Items[0].UnitCents = 100
		}, AutoDecision{Action: AutoLeave, Reason: "price_mismatch"}},
		{"outside the zone", func(s *crdt.OrderState, x *Context) {
			auto(x)
			s.Place.DropoffZones = []string{"centre"}
		}, AutoDecision{Action: AutoLeave, Reason: "outside_zone"}},
		{"other orders are not counted", func(s *crdt.OrderState, x *Context) {
			auto(x)
			x.Orders = []*crdt.OrderState{
				{ID: crdt.ID{1}, Restaurant: s.Restaurant, Status: crdt.StatusAccepted, PlacedAt: s.PlacedAt - 60_000},
				{ID: crdt.ID{2}, Restaurant: s.Restaurant, Status: crdt.StatusPlaced, PlacedAt: s.PlacedAt - 1},
			}
		}, AutoDecision{Action: AutoAccept, PrepMinutes: 15}},
	} {
		s := placed(t, testCart(), tuesdayNoon.Add(5*time.Minute))
		x := testCtx(t, tuesdayNoon.Add(8*time.Minute))
		c.mut(s, &x)
		if got := AutoAcceptOrder(s, x, nil); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	// the exact dropoff the restaurant opened must match the recorded one
	s := placed(t, testCart(), tuesdayNoon)
	x := testCtx(t, tuesdayNoon.Add(time.Minute))
	auto(&x)
	exact, far := testCart().Dropoff, farDrop
	if got := AutoAcceptOrder(s, x, &exact); got.Action != AutoAccept {
		t.Errorf("exact dropoff: %+v", got)
	}
	if got := AutoAcceptOrder(s, x, &far); got != (AutoDecision{Action: AutoLeave, Reason: "price_mismatch"}) {
		t.Errorf("a farther exact dropoff: %+v", got)
	}
	if got := AutoAcceptOrder(nil, x, nil); got.Action != AutoLeave {
		t.Errorf("no order: %+v", got)
	}
}

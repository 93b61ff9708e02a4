package market

import (
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

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

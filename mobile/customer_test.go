package mobile

import (
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// TestCustomerFlow drives a customer through the façade only, against
// real nodes and a coop that published its rules: browse, menu, slots,
// quote a cart by the coop's rules (and carts the rules refuse), refuse
// to place offline, check out with sealed personal data and a PIN, follow
// the order to the door with the courier's live position and ETA, rate
// it, cancel a second order before acceptance, fail to cancel a third
// (placed for a slot) after it.
func TestCustomerFlow(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	courier := f.member("courier", node.RoleCourier, crdt.RoleCourier)
	m, rec := f.phone(t.TempDir(), "customer", nil)
	f.eventually("coop log on the phone", func() bool { return status(t, m).CoopName == "Vélo Coop" })
	if st := status(t, m); st.Member || st.Role != "customer" || st.Currency != "EUR" || st.Connection.State != "online" {
		t.Fatalf("Status: %+v", st)
	}
	f.eventually("rules on the phone", func() bool { _, err := m.n.Rules(ctx, 0); return err == nil })

	// browse
	var rs restaurantsResult
	f.eventually("catalogue on the phone", func() bool {
		rs = call[restaurantsResult](t, "Restaurants", m.Restaurants, req(map[string]any{"position": homePos, "enabled_only": true}))
		return len(rs.Restaurants) == 1 && rs.Restaurants[0].HasMenu
	})
	r := rs.Restaurants[0]
	if r.Name != "Chez Mia" || r.Key != f.resto.Key().String() || r.DistanceM < 900 || r.DistanceM > 1200 ||
		len(r.Fulfilment) != 2 || r.MinOrderCents != 800 || r.ClosedNow {
		t.Fatalf("restaurant: %+v", r)
	}
	far := call[restaurantsResult](t, "Restaurants", m.Restaurants, req(map[string]any{"position": homePos, "radius_m": 100}))
	if len(far.Restaurants) != 0 {
		t.Fatalf("radius filter: %+v", far)
	}
	menu := call[menuResult](t, "Menu", m.Menu, req(map[string]any{"restaurant": r.Key}))
	if len(menu.Menu.Sections) != 1 || len(menu.Menu.Sections[0].Products) != 3 {
		t.Fatalf("Menu: %+v", menu)
	}
	slots := call[slotsResult](t, "Slots", m.Slots, req(map[string]any{"restaurant": r.Key, "limit": 3}))
	if len(slots.Slots) != 3 || slots.Slots[0].Start <= time.Now().UnixMilli() || slots.Slots[0].End <= slots.Slots[0].Start ||
		slots.Slots[1].Start < slots.Slots[0].End {
		t.Fatalf("Slots: %+v", slots)
	}
	callErr(t, "Slots of an unknown restaurant", m.Slots, req(map[string]any{"restaurant": strings.Repeat("f", 64)}), codeNotFound)

	// quote: 2 wraps with feta (650+100) + 1 soup (900), tip 200; the
	// rules give 3.50 of delivery under 2 km; 10 % VAT included in food
	cart := map[string]any{"restaurant": r.Key, "items": []map[string]any{
		{"product": "wrap", "quantity": 2, "options": []string{"feta"}},
		{"product": "soup", "quantity": 1},
	}, "tip_cents": 200, "dropoff": homePos}
	pr := call[quoteView](t, "Quote", m.Quote, req(cart))
	want := crdt.Totals{ItemsCents: 2400, DeliveryCents: 350, TipCents: 200, TaxCents: 218, TotalCents: 2950}
	if pr.Totals != want || pr.Slot != nil || len(pr.Items) != 2 || pr.Items[0].UnitCents != 750 || pr.Items[0].OptionNames[0] != "Feta" ||
		pr.RulesVersion != 1 || pr.Fulfilment != "delivery" || pr.DropoffArea == nil || *pr.DropoffArea != market.Coarse(homePos) ||
		len(pr.Taxes) != 1 || pr.Taxes[0].Category != "food_takeaway" || pr.Taxes[0].TaxCents != 218 ||
		pr.PlatformFeeCents != 360 || pr.RestaurantNetCents != 2040 || pr.CourierPay == nil || pr.CourierPay.TipCents != 200 ||
		pr.Delivery == nil || pr.Delivery.FeeCents != 350 || !strings.Contains(pr.Explanation, "standard") ||
		pr.DistanceM < 900 || pr.DistanceM > 1200 || len(pr.DropoffZones) != 1 || pr.ReadyBy <= pr.PricedAt {
		t.Fatalf("Quote: %+v", pr)
	}

	// carts the rules refuse: "<code>: <detail>", then the refusal as JSON
	bad := func(items []map[string]any) string {
		return req(map[string]any{"restaurant": r.Key, "items": items, "dropoff": homePos})
	}
	for _, tc := range []struct {
		name, req, code string
		line            int
	}{
		{"sold out", bad([]map[string]any{{"product": "soup", "quantity": 1}, {"product": "gone", "quantity": 1}}), "unavailable_item", 2},
		{"unknown product", bad([]map[string]any{{"product": "pizza", "quantity": 1}}), "unknown_product", 1},
		{"disabled option", bad([]map[string]any{{"product": "wrap", "quantity": 2, "options": []string{"truffle"}}}), "unavailable_item", 1},
		{"option twice", bad([]map[string]any{{"product": "wrap", "quantity": 2, "options": []string{"feta", "harissa", "feta"}}}), "bad_option_count", 1},
		{"no quantity", bad([]map[string]any{{"product": "soup"}}), "bad_quantity", 1},
		{"below the minimum", bad([]map[string]any{{"product": "wrap", "quantity": 1}}), "below_minimum", 0},
		{"outside the zone", req(map[string]any{"restaurant": r.Key, "items": []map[string]any{{"product": "soup", "quantity": 1}},
			"dropoff": crdt.Position{LatE6: 47_400_000, LonE6: -1_553_000}}), "outside_zone", 0},
		{"no dropoff", req(map[string]any{"restaurant": r.Key, "items": []map[string]any{{"product": "soup", "quantity": 1}}}), "bad_position", 0},
		{"a slot that is not one", req(map[string]any{"restaurant": r.Key, "items": []map[string]any{{"product": "soup", "quantity": 1}},
			"dropoff": homePos, "slot": crdt.TimeSlot{Start: 1, End: 2}}), "slot_unavailable", 0},
	} {
		v := refusalOf(t, callErr(t, tc.name, m.Quote, tc.req, tc.code))
		if v.Code != tc.code || v.Line != tc.line || v.Detail == "" {
			t.Errorf("%s: %+v, want code %s line %d", tc.name, v, tc.code, tc.line)
		}
	}
	callErr(t, "unknown restaurant", m.Quote, req(map[string]any{"restaurant": strings.Repeat("f", 64),
		"items": []map[string]any{{"product": "soup", "quantity": 1}}}), codeNotFound)
	callErr(t, "unknown fulfilment", m.Quote, req(map[string]any{"restaurant": r.Key, "fulfilment": "drone",
		"items": []map[string]any{{"product": "soup", "quantity": 1}}}), codeBadArgument)
	coll := call[quoteView](t, "Quote", m.Quote, req(map[string]any{"restaurant": r.Key, "fulfilment": "collection",
		"items": []map[string]any{{"product": "soup", "quantity": 1}}}))
	if coll.Totals.DeliveryCents != 0 || coll.Totals.TotalCents != 900 || coll.CourierPay != nil || coll.DropoffArea != nil ||
		coll.Delivery != nil || coll.PlatformFeeCents != 72 {
		t.Fatalf("collection cart: %+v", coll)
	}

	// placing needs the network
	cart["pin"] = "4821"
	cart["personal_data"] = map[string]any{"name": "Léa Kervégan", "phone": "+33 6 12 34 56 78",
		"address": "3 rue Kervégan, 44000 Nantes", "instructions": "door code 1234"}
	published := m.n.Stats(ctx).Published
	// a PIN no courier could type is refused before anything is signed (issue 12.7)
	for _, pin := range []string{"123", strings.Repeat("7", 100<<10), "12\n34"} {
		cart["pin"] = pin
		if v := refusalOf(t, callErr(t, "Checkout with a bad PIN", m.Checkout, req(cart), "bad_pin")); v.Field != "pin" {
			t.Errorf("PIN %.8q: %+v", pin, v)
		}
	}
	cart["pin"] = "4821"
	must(t, m.SetConnectivity(`{"network":"offline"}`))
	callErr(t, "Checkout offline", m.Checkout, req(cart), codeOffline)
	if got := m.n.Stats(ctx).Published; got != published {
		t.Fatalf("an order was signed offline (%d events)", got-published)
	}
	must(t, m.SetConnectivity(`{"network":"wifi"}`))
	f.eventually("online again", func() bool { return status(t, m).Connection.State == "online" })
	noAddr := map[string]any{}
	for k, v := range cart {
		noAddr[k] = v
	}
	noAddr["personal_data"] = map[string]any{"name": "Léa"}
	callErr(t, "delivery without an address", m.Checkout, req(noAddr), codeBadArgument)
	small := map[string]any{}
	for k, v := range cart {
		small[k] = v
	}
	small["items"] = []map[string]any{{"product": "wrap", "quantity": 1}}
	if v := refusalOf(t, callErr(t, "Checkout of a refused cart", m.Checkout, req(small), "below_minimum")); v.Code != "below_minimum" {
		t.Fatalf("Checkout below the minimum: %+v", v)
	}
	if got := m.n.Stats(ctx).Published; got != published {
		t.Fatalf("refused orders were signed (%d events)", got-published)
	}

	// check out with sealed personal data and a PIN, and follow the order to the door
	placed := call[placeResult](t, "Checkout", m.Checkout, req(cart))
	if !placed.Published || placed.Status != "placed" || placed.Quote.Totals != want || placed.Quote.RulesVersion != 1 {
		t.Fatalf("Checkout: %+v", placed)
	}
	id, err := crdt.ParseID(placed.Order)
	must(t, err)
	f.eventually("following order gossip", func() bool { return status(t, m).Following.Orders })
	f.everywhere(id, crdt.StatusPlaced)
	s, err := f.resto.Order(ctx, id)
	must(t, err)
	if s.Place.DropoffArea != market.Coarse(homePos) || !crdt.PINMatches(s.Customer, "4821", s.Place.PINHash) ||
		s.Place.Pickup != restoPos || s.Place.Totals != want || s.Place.RulesVersion != 1 || len(s.Place.Sealed) == 0 {
		t.Fatalf("the order as published: %+v", s.Place)
	}
	pd, err := f.resto.PersonalDataOf(ctx, id)
	if err != nil || pd.Name != "Léa Kervégan" || pd.Address != "3 rue Kervégan, 44000 Nantes" || pd.Instructions != "door code 1234" ||
		pd.Dropoff != homePos {
		t.Fatalf("the restaurant reads %+v, %v", pd, err)
	}
	if _, err := f.admin.PersonalDataOf(ctx, id); err == nil {
		t.Fatal("the relay read the customer's details")
	}
	must(t, f.resto.Accept(ctx, id, 12))
	rec.wait(t, "accepted", rec.orderIs(id, "accepted"))
	if u := rec.lastOrder(id); u.ETA.ReadyAt == 0 || u.ETA.DeliveryAt <= u.ETA.ReadyAt || !u.ETA.Provisional ||
		u.ETA.Basis != "kitchen ready time + straight-line ride" || u.CourierPosition != nil {
		t.Fatalf("ETA after acceptance: %+v", u)
	}
	if _, err := courier.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted }); err != nil {
		t.Fatal(err)
	}
	claim, err := courier.Claim(ctx, id, crdt.Position{})
	must(t, err)
	if _, err := courier.AwaitClaim(ctx, id, claim); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "courier confirmed", rec.orderWhere(id, func(o trackingView) bool {
		return o.Order.CourierConfirmed && o.Order.CourierName == "courier"
	}))
	f.eventually("the courier reads the address", func() bool {
		pd, err := courier.PersonalDataOf(ctx, id)
		return err == nil && pd.Address == "3 rue Kervégan, 44000 Nantes"
	})

	// the courier's position, with the ETA it gives. Positions are
	// best-effort gossip (a courier app sends one every few seconds): the
	// courier sends again until the phone shows it.
	sendUntilSeen := func(what string, p crdt.Position, seen func(trackingView) bool) {
		f.eventually(what, func() bool {
			_, err := courier.UpdatePosition(ctx, p) // dropped within 4 s of the last one
			must(t, err)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			return rec.orderWhere(id, seen)(rec)
		})
	}
	onTheWay := crdt.Position{LatE6: 47_216_000, LonE6: -1_555_000}
	if k, err := courier.UpdatePosition(ctx, onTheWay); err != nil || k != 1 {
		t.Fatalf("courier UpdatePosition: %d %v", k, err)
	}
	sendUntilSeen("courier position", onTheWay, func(o trackingView) bool {
		return o.CourierPosition != nil && *o.CourierPosition == onTheWay
	})
	tr := call[trackingView](t, "FollowOrder", m.FollowOrder, req(map[string]any{"order": id.String()}))
	if tr.CourierPosition == nil || *tr.CourierPosition != onTheWay || tr.CourierPositionAt == 0 || tr.Approaching ||
		tr.ETA.Basis != "courier position" || tr.ETA.DeliveryAt <= time.Now().UnixMilli() || tr.Order.MyRole != "customer" {
		t.Fatalf("FollowOrder with a courier position: %+v", tr)
	}
	must(t, f.resto.Ready(ctx, id))
	if _, err := courier.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusReady }); err != nil {
		t.Fatal(err)
	}
	must(t, courier.Pickup(ctx, id))
	rec.wait(t, "picked up", rec.orderIs(id, "picked_up"))
	// near the door: "approaching" (a courier may share every 4 s per order)
	nearDoor := crdt.Position{LatE6: homePos.LatE6 + 1000, LonE6: homePos.LonE6}
	sendUntilSeen("approaching", nearDoor, func(o trackingView) bool {
		return o.Approaching && o.CourierPosition != nil && *o.CourierPosition == nearDoor && o.Order.Status == "picked_up"
	})
	must(t, courier.Deliver(ctx, id, crdt.Proof{Recipient: "me", PIN: "4821"}))
	rec.wait(t, "delivered", rec.orderIs(id, "delivered"))
	done := call[trackingView](t, "FollowOrder", m.FollowOrder, req(map[string]any{"order": id.String()}))
	if done.CourierPosition != nil || done.ETA.Basis != "finished" || done.ETA.Provisional {
		t.Fatalf("FollowOrder once delivered: %+v", done)
	}

	// rate it
	callErr(t, "Rate without stars", m.Rate, req(map[string]any{"order": id.String()}), codeBadArgument)
	callErr(t, "Rate with 6 stars", m.Rate, req(map[string]any{"order": id.String(), "courier_stars": 6}), codeBadArgument)
	callErr(t, "Rate with a typo", m.Rate, req(map[string]any{"order": id.String(), "stars": 5}), codeBadJSON)
	rated := call[actionResult](t, "Rate", m.Rate, req(map[string]any{"order": id.String(), "restaurant_stars": 5, "courier_stars": 4, "comment": "fast"}))
	if rt := rated.Order.Rating; rt == nil || rt.RestaurantStars != 5 || rt.CourierStars != 4 || rt.Comment != "fast" || !rated.Published {
		t.Fatalf("Rate: %+v", rated)
	}
	f.eventually("rated at the restaurant", func() bool {
		s, err := f.resto.Order(ctx, id)
		return err == nil && s.Rating != nil && s.Rating.CourierStars == 4
	})
	f.eventually("order gossip unfollowed once nothing is open", func() bool { return !status(t, m).Following.Orders })

	// cancel before acceptance; refused after (an order for a slot)
	cart["pin"] = ""
	second := call[placeResult](t, "Checkout", m.Checkout, req(cart))
	id2, _ := crdt.ParseID(second.Order)
	f.everywhere(id2, crdt.StatusPlaced)
	callErr(t, "Rate before delivery", m.Rate, req(map[string]any{"order": second.Order, "restaurant_stars": 3}), "invalid_transition")
	cn := call[actionResult](t, "Cancel", m.Cancel, req(map[string]any{"order": second.Order}))
	if cn.Order.Status != "cancelled" {
		t.Fatalf("Cancel: %+v", cn)
	}
	f.everywhere(id2, crdt.StatusCancelled)
	cart["slot"] = slots.Slots[len(slots.Slots)-1]
	third := call[placeResult](t, "Checkout", m.Checkout, req(cart))
	if third.Quote.Slot == nil || *third.Quote.Slot != slots.Slots[len(slots.Slots)-1] || third.Quote.ReadyBy != third.Quote.Slot.Start {
		t.Fatalf("Checkout for a slot: %+v", third.Quote)
	}
	id3, _ := crdt.ParseID(third.Order)
	f.everywhere(id3, crdt.StatusPlaced)
	must(t, f.resto.Accept(ctx, id3, 5))
	rec.wait(t, "third accepted", rec.orderIs(id3, "accepted"))
	callErr(t, "Cancel after acceptance", m.Cancel, req(map[string]any{"order": third.Order}), "customer_cancel_after_accept")

	mine := call[ordersResult](t, "MyOrders", m.MyOrders, "{}")
	open := call[ordersResult](t, "MyOrders", m.MyOrders, req(map[string]any{"open_only": true}))
	if len(mine.Orders) != 3 || len(open.Orders) != 1 || open.Orders[0].ID != third.Order || mine.Orders[0].ID != third.Order {
		t.Fatalf("MyOrders: %d orders, %d open", len(mine.Orders), len(open.Orders))
	}
	callErr(t, "GoOnShift on a customer node", m.GoOnShift, "{}", codeWrongRole)
	callErr(t, "PersonalData on a customer node", m.PersonalData, req(map[string]any{"order": third.Order}), codeWrongRole)
}

// TestNoRules: a coop that published no rules cannot price deliveries
// (no_rules), still takes collection orders, and a courier's
// earnings fall back to the orders' delivery fee and tip (provisional).
func TestNoRules(t *testing.T) {
	f := newFixtureRules(t, 2*time.Second, false)
	ctx := f.ctx
	cust := f.plain("cust", node.RoleCustomer)
	m, _ := f.phone(t.TempDir(), "customer", nil)
	f.eventually("catalogue on the phone", func() bool {
		rs := call[restaurantsResult](t, "Restaurants", m.Restaurants, "{}")
		return len(rs.Restaurants) == 1 && rs.Restaurants[0].HasMenu
	})
	key := f.resto.Key().String()
	v := refusalOf(t, callErr(t, "Quote of a delivery", m.Quote, req(map[string]any{"restaurant": key,
		"items": []map[string]any{{"product": "soup", "quantity": 1}}, "dropoff": homePos}), "no_rules"))
	if v.Code != "no_rules" {
		t.Fatalf("delivery without rules: %+v", v)
	}
	coll := call[quoteView](t, "Quote", m.Quote, req(map[string]any{"restaurant": key, "fulfilment": "collection",
		"items": []map[string]any{{"product": "soup", "quantity": 1}}}))
	if coll.Totals.TotalCents != 900 || coll.RulesVersion != 0 || coll.PlatformFeeCents != 0 {
		t.Fatalf("collection without rules: %+v", coll)
	}

	// a courier phone delivers an order priced without rules
	c, rec := f.phone(t.TempDir(), "courier", nil)
	f.admitPhone(c, "Zoé")
	call[shiftResult](t, "GoOnShift", c.GoOnShift, req(map[string]any{"position": nearPos}))
	id := f.place(cust, "")
	must(t, f.resto.Accept(ctx, id, 10))
	rec.wait(t, "job", rec.jobFor(id, true))
	cl := call[claimResult](t, "Claim", c.Claim, req(map[string]any{"order": id.String()}))
	call[claimResult](t, "AwaitClaim", c.AwaitClaim, req(map[string]any{"order": id.String(), "claim": cl.Claim}))
	must(t, f.resto.Ready(ctx, id))
	rec.wait(t, "ready", rec.orderIs(id, "ready"))
	call[actionResult](t, "Pickup", c.Pickup, req(map[string]any{"order": id.String()}))
	mid := call[earningsResult](t, "Earnings", c.Earnings, "{}")
	if mid.Jobs != 1 || mid.PayCents != 400 || mid.Orders[0].Status != "picked_up" || mid.Orders[0].TipCents != 0 {
		t.Fatalf("Earnings while carrying (fee only, the tip once delivered): %+v", mid)
	}
	call[actionResult](t, "Deliver", c.Deliver, req(map[string]any{"order": id.String(), "proof": map[string]any{"recipient": "Léa"}}))
	earn := call[earningsResult](t, "Earnings", c.Earnings, "{}")
	if earn.RulesPublished || !earn.Provisional || earn.Jobs != 1 || earn.PayCents != 550 || earn.TipShareCents != 150 ||
		len(earn.Orders) != 1 || len(earn.Days) != 1 || earn.Days[0].PayCents != 550 {
		t.Fatalf("Earnings without rules: %+v", earn)
	}
	l := earn.Orders[0]
	if l.Basis != basisOrderTotals || l.RulesVersion != 0 || l.Pay != (market.Pay{FeeCents: 400, TipCents: 150, TotalCents: 550}) ||
		l.DeliveredAt == 0 || l.Status != "delivered" {
		t.Fatalf("earnings line without rules: %+v", l)
	}
}

package mobile

import (
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// TestCustomerFlow drives a customer through the façade only, against
// real nodes: browse, menu, price a cart, order with a PIN, follow the
// order to the door with its ETA, try to rate, cancel a second order
// before acceptance, fail to cancel a third after it.
func TestCustomerFlow(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	courier := f.member("courier", node.RoleCourier, crdt.RoleCourier)
	m, rec := f.phone(t.TempDir(), "customer", map[string]any{"delivery_fee_cents": 390})
	f.eventually("coop log on the phone", func() bool { return status(t, m).CoopName == "Vélo Coop" })
	if st := status(t, m); st.Member || st.Role != "customer" || st.Currency != "EUR" || st.Connection.State != "online" {
		t.Fatalf("Status: %+v", st)
	}

	// browse
	var rs restaurantsResult
	f.eventually("catalogue on the phone", func() bool {
		rs = call[restaurantsResult](t, "Restaurants", m.Restaurants, req(map[string]any{"position": homePos, "enabled_only": true}))
		return len(rs.Restaurants) == 1 && rs.Restaurants[0].HasMenu
	})
	r := rs.Restaurants[0]
	if r.Name != "Chez Mia" || r.Key != f.resto.Key().String() || r.DistanceM < 900 || r.DistanceM > 1200 ||
		len(r.Fulfilment) != 2 || r.MinOrderCents != 500 {
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

	// price a cart: 2 wraps with feta (650+100) + 1 soup (900), tip 200, fee 390
	cart := map[string]any{"restaurant": r.Key, "items": []map[string]any{
		{"product": "wrap", "quantity": 2, "options": []string{"feta"}},
		{"product": "soup", "quantity": 1},
	}, "tip_cents": 200}
	pr := call[priceResult](t, "PriceCart", m.PriceCart, req(cart))
	want := crdt.Totals{ItemsCents: 2400, DeliveryCents: 390, TipCents: 200, TotalCents: 2990}
	if !pr.Provisional || pr.Totals != want || len(pr.Items) != 2 || pr.Items[0].UnitCents != 750 || len(pr.Warnings) != 0 {
		t.Fatalf("PriceCart: %+v", pr)
	}
	bad := func(items []map[string]any) string {
		return req(map[string]any{"restaurant": r.Key, "items": items})
	}
	callErr(t, "sold out", m.PriceCart, bad([]map[string]any{{"product": "gone", "quantity": 1}}), codeRefused)
	callErr(t, "unknown product", m.PriceCart, bad([]map[string]any{{"product": "pizza", "quantity": 1}}), codeNotFound)
	callErr(t, "disabled option", m.PriceCart, bad([]map[string]any{{"product": "wrap", "quantity": 1, "options": []string{"truffle"}}}), codeBadArgument)
	callErr(t, "too many options", m.PriceCart, bad([]map[string]any{{"product": "wrap", "quantity": 1, "options": []string{"feta", "harissa", "feta"}}}), codeBadArgument)
	callErr(t, "no quantity", m.PriceCart, bad([]map[string]any{{"product": "soup"}}), codeBadArgument)
	small := call[priceResult](t, "PriceCart", m.PriceCart, req(map[string]any{"restaurant": r.Key, "fulfilment": "collection",
		"items": []map[string]any{{"product": "wrap", "quantity": 0 + 1, "options": []string{"harissa"}}}}))
	if small.Totals.DeliveryCents != 0 || small.Totals.TotalCents != 650 || len(small.Warnings) != 0 {
		t.Fatalf("collection cart: %+v", small)
	}

	// order with a PIN and follow it to the door
	cart["dropoff_area"] = homePos
	cart["pin"] = "4821"
	placed := call[placeResult](t, "PlaceOrder", m.PlaceOrder, req(cart))
	if !placed.Published || placed.Status != "placed" || placed.Price.Totals != want {
		t.Fatalf("PlaceOrder: %+v", placed)
	}
	id, err := crdt.ParseID(placed.Order)
	must(t, err)
	f.eventually("following order gossip", func() bool { return status(t, m).Following.Orders })
	f.everywhere(id, crdt.StatusPlaced)
	s, err := f.resto.Order(ctx, id)
	must(t, err)
	if s.Place.DropoffArea != (crdt.Position{LatE6: 47_210_000, LonE6: -1_560_000}) || !crdt.PINMatches(s.Customer, "4821", s.Place.PINHash) ||
		s.Place.Pickup != restoPos || s.Place.Totals != want {
		t.Fatalf("the order as published: %+v", s.Place)
	}
	must(t, f.resto.Accept(ctx, id, 12))
	rec.wait(t, "accepted", rec.orderIs(id, "accepted"))
	if u := rec.lastOrder(id); u.ETA.ReadyAt == 0 || u.ETA.DeliveryAt <= u.ETA.ReadyAt || !u.ETA.Provisional {
		t.Fatalf("ETA after acceptance: %+v", u.ETA)
	}
	claim, err := courier.Claim(ctx, id, crdt.Position{})
	must(t, err)
	if _, err := courier.AwaitClaim(ctx, id, claim); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "courier confirmed", func(r *recorder) bool {
		for _, o := range r.orders {
			if o.Order.ID == id.String() && o.Order.CourierConfirmed && o.Order.CourierName == "courier" {
				return true
			}
		}
		return false
	})
	must(t, f.resto.MarkReady(ctx, id))
	if _, err := courier.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusReady }); err != nil {
		t.Fatal(err)
	}
	must(t, courier.Pickup(ctx, id))
	rec.wait(t, "picked up", rec.orderIs(id, "picked_up"))
	tr := call[trackingView](t, "FollowOrder", m.FollowOrder, req(map[string]any{"order": id.String()}))
	if tr.Order.Status != "picked_up" || tr.CourierPosition != nil || tr.CourierPositionStatus != codeNotYetSupported ||
		tr.ETA.DeliveryAt <= tr.Order.PickupTask.DoneAt || tr.Order.MyRole != "customer" {
		t.Fatalf("FollowOrder: %+v", tr)
	}
	must(t, courier.Deliver(ctx, id, crdt.Proof{Recipient: "me", PIN: "4821"}))
	rec.wait(t, "delivered", rec.orderIs(id, "delivered"))
	callErr(t, "Rate", m.Rate, req(map[string]any{"order": id.String(), "stars": 5, "comment": "fast"}), codeNotYetSupported)
	callErr(t, "Rate without stars", m.Rate, req(map[string]any{"order": id.String()}), codeBadArgument)
	f.eventually("order gossip unfollowed once nothing is open", func() bool { return !status(t, m).Following.Orders })

	// cancel before acceptance; refused after
	cart["pin"] = ""
	second := call[placeResult](t, "PlaceOrder", m.PlaceOrder, req(cart))
	id2, _ := crdt.ParseID(second.Order)
	f.everywhere(id2, crdt.StatusPlaced)
	cn := call[actionResult](t, "CancelOrder", m.CancelOrder, req(map[string]any{"order": second.Order}))
	if cn.Order.Status != "cancelled" {
		t.Fatalf("CancelOrder: %+v", cn)
	}
	f.everywhere(id2, crdt.StatusCancelled)
	third := call[placeResult](t, "PlaceOrder", m.PlaceOrder, req(cart))
	id3, _ := crdt.ParseID(third.Order)
	f.everywhere(id3, crdt.StatusPlaced)
	must(t, f.resto.Accept(ctx, id3, 5))
	rec.wait(t, "third accepted", rec.orderIs(id3, "accepted"))
	callErr(t, "CancelOrder after acceptance", m.CancelOrder, req(map[string]any{"order": third.Order}), codeRefused)

	mine := call[ordersResult](t, "MyOrders", m.MyOrders, "{}")
	open := call[ordersResult](t, "MyOrders", m.MyOrders, req(map[string]any{"open_only": true}))
	if len(mine.Orders) != 3 || len(open.Orders) != 1 || open.Orders[0].ID != third.Order || mine.Orders[0].ID != third.Order {
		t.Fatalf("MyOrders: %d orders, %d open", len(mine.Orders), len(open.Orders))
	}
	callErr(t, "GoOnShift on a customer node", m.GoOnShift, "{}", codeWrongRole)
	callErr(t, "delivery without a drop-off area", m.PlaceOrder, req(map[string]any{"restaurant": r.Key,
		"items": []map[string]any{{"product": "wrap", "quantity": 1}}}), codeBadArgument)
}

package market

import (
	"strconv"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// tipDay: the coop votes a pay rule that would keep three quarters of
// tips and count them towards a high minimum (version 4: tip_bps 2500,
// min 1500); then two orders priced under it are delivered by zoe, one
// paid online to the restaurant (tip 200), one in cash to zoe (tip 300).
func tipDay(t *testing.T) (*coop, map[string]crdt.ID) {
	c := newCoop(t)
	v4 := testRulesSet()
	v4.Version, v4.Pay.TipBps, v4.Pay.MinCents = 4, 2500, 1500
	c.emit("admin", c.id, v4, tuesdayNoon.Add(-time.Hour))
	rules, err := RulesFor(c.state(), 0)
	if err != nil || rules.Set.Version != 4 {
		t.Fatalf("rules %v, %v", rules, err)
	}
	prof := testProfile()
	prof.Payments = crdt.OfferCash | crdt.OfferOnline
	ids := map[string]crdt.ID{}
	order := func(name string, method crdt.PaymentMethod, tip int64, at time.Time) crdt.ID {
		cart := testCart()
		cart.Restaurant, cart.Payment, cart.TipCents = c.pub("resto"), method, tip
		q, err := Checkout(cart, Context{Profile: prof, Menu: testMenu(), Rules: rules, Now: at})
		if err != nil {
			t.Fatal(err)
		}
		id := c.emit("ann", crdt.ID{}, q.OrderPlace(PlaceExtras{}), time.UnixMilli(q.PricedAt)).ID
		ids[name] = id
		total := q.TotalCents
		if method == crdt.PayOnline {
			for _, st := range []crdt.PaymentState{crdt.PayPending, crdt.PayPaid} {
				c.emit("resto", id, &crdt.OrderPayment{State: st, Method: method, AmountCents: total, Provider: "stripe", Ref: "pi_" + name}, at.Add(time.Minute))
			}
		}
		c.emit("resto", id, &crdt.OrderAccept{}, at.Add(2*time.Minute))
		c.emit("zoe", id, &crdt.CourierClaim{}, at.Add(3*time.Minute))
		c.emit("zoe", id, &crdt.TaskPickup{}, at.Add(15*time.Minute))
		c.emit("zoe", id, &crdt.TaskDeliver{Proof: crdt.Proof{Recipient: "door"}}, at.Add(25*time.Minute))
		if method == crdt.PayCash {
			c.emit("zoe", id, &crdt.OrderPayment{State: crdt.PayPaid, Method: method, AmountCents: total}, at.Add(26*time.Minute))
		}
		return id
	}
	order("online", crdt.PayOnline, 200, tuesdayNoon)
	order("cash", crdt.PayCash, 300, tuesdayNoon.Add(30*time.Minute))
	// a collection with a tip, paid at the counter: no courier earned it
	cart := testCart()
	cart.Restaurant, cart.Payment, cart.TipCents = c.pub("resto"), crdt.PayCash, 100
	cart.Fulfilment, cart.Dropoff = crdt.FulfilCollection, crdt.Position{}
	at := tuesdayNoon.Add(time.Hour)
	q, err := Checkout(cart, Context{Profile: prof, Menu: testMenu(), Rules: rules, Now: at})
	if err != nil {
		t.Fatal(err)
	}
	id := c.emit("ann", crdt.ID{}, q.OrderPlace(PlaceExtras{}), time.UnixMilli(q.PricedAt)).ID
	ids["counter"] = id
	c.emit("resto", id, &crdt.OrderAccept{}, at.Add(time.Minute))
	c.emit("resto", id, &crdt.OrderFulfil{}, at.Add(10*time.Minute))
	c.emit("resto", id, &crdt.OrderPayment{State: crdt.PayPaid, Method: crdt.PayCash, AmountCents: q.TotalCents}, at.Add(11*time.Minute))
	return c, ids
}

func atoiT(t *testing.T, s string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

// TestTipWhollyToCourier (issue 17, weakness 1): whatever share of tips
// the pay rule voted by the coop names (tip_bps), and however the order
// was paid, the courier's pay carries the whole tip on top of the pay the
// coop owes (the tip never fills the minimum), and the pay export, the
// books, the payments export and the invoice say the same (SPEC.md
// §16.3.7, §20.5).
func TestTipWhollyToCourier(t *testing.T) {
	c, ids := tipDay(t)
	coop, orders := c.state(), c.r.Orders(c.id, nil)
	rules, _ := RulesFor(coop, 4)
	// the rule itself: the whole tip, on top of the minimum
	p, err := rules.CourierPay(100, 1, 350, 200)
	if err != nil || p.TipCents != 200 || p.TotalCents != 1500+200 || p.CoopCents() != 1500 || p.TopUpCents == 0 {
		t.Fatalf("pay with a 2.00 tip under a 15.00 minimum: %+v, %v", p, err)
	}
	noTip, _ := rules.CourierPay(100, 1, 350, 0)
	if noTip.TotalCents != p.CoopCents() {
		t.Fatalf("the tip changed the coop's part: %+v vs %+v", noTip, p)
	}
	want := map[string]int64{"online": 200, "cash": 300}
	payOf := map[string]Pay{}
	for name, tip := range want {
		s := c.order(ids[name])
		if s.Place.Totals.TipCents != tip || s.Status != crdt.StatusDelivered {
			t.Fatalf("%s: %+v", name, s.Place.Totals)
		}
		pp, err := rules.CourierPay(s.Place.DistanceM, 1, s.Place.Totals.DeliveryCents, 0)
		if err != nil {
			t.Fatal(err)
		}
		pp.TipCents, pp.TotalCents = tip, pp.TotalCents+tip
		payOf[name] = pp
	}
	// the courier's pay table (what the earnings screen and API read)
	pay, err := ExportCourierPay(coop, orders, Filter{Courier: c.pub("zoe")})
	if err != nil {
		t.Fatal(err)
	}
	for name, tip := range want {
		r := rowOf(pay, ids[name])
		if atoiT(t, r[column(pay, "tip_share_cents")]) != tip || atoiT(t, r[column(pay, "pay_cents")]) != payOf[name].TotalCents {
			t.Errorf("pay row %s: %v, want tip %d pay %d", name, r, tip, payOf[name].TotalCents)
		}
	}
	sum, _ := ExportPaySummary(coop, orders, Filter{Courier: c.pub("zoe")})
	if len(sum.Rows) != 1 || sum.Rows[0][column(sum, "tip_share_cents")] != "500" {
		t.Errorf("pay summary %v", sum.Rows)
	}
	// the books
	b, err := ComputeBooks(coop, orders, Period{})
	if err != nil {
		t.Fatal(err)
	}
	for name, tip := range want {
		r := rowOf(b.Orders, ids[name])
		if atoiT(t, r[column(b.Orders, "tip_share_cents")]) != tip || atoiT(t, r[column(b.Orders, "courier_pay_cents")]) != payOf[name].TotalCents {
			t.Errorf("books row %s: %v", name, r)
		}
		if r := rowOf(b.Payments, ids[name]); atoiT(t, r[column(b.Payments, "tip_to_courier_cents")]) != tip {
			t.Errorf("books payment row %s: %v", name, r)
		}
		// the tip is not the restaurant's takings: its net is items less fee
		r = rowOf(b.Orders, ids[name])
		if atoiT(t, r[column(b.Orders, "restaurant_net_cents")])+atoiT(t, r[column(b.Orders, "platform_fee_cents")]) != atoiT(t, r[column(b.Orders, "items_cents")]) {
			t.Errorf("books row %s: net + fee is not the items", name)
		}
	}
	if len(b.Couriers) != 1 || b.Couriers[0].TipShareCents != 500 {
		t.Errorf("zoe's books total %+v", b.Couriers)
	}
	// the payments export
	pe, err := ExportPayments(coop, orders, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for name, tip := range want {
		if r := rowOf(pe, ids[name]); atoiT(t, r[column(pe, "tip_to_courier_cents")]) != tip {
			t.Errorf("payments row %s: %v", name, r)
		}
	}
	// the invoice: the restaurant passes the online tip on to the courier,
	// owes the coop its fee and the delivery fee, no part of the tip; the
	// courier keeps the cash tip and hands the rest over
	inv, err := ExportInvoice(coop, orders, Filter{Restaurant: c.pub("resto"), Month: "2026-03"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(name, col string) int64 { return atoiT(t, rowOf(inv, ids[name])[column(inv, col)]) }
	o := c.order(ids["online"]).Place.Totals
	if get("online", "tip_to_courier_cents") != 200 || get("online", "restaurant_owes_courier_cents") != 200 ||
		get("online", "restaurant_owes_coop_cents") != get("online", "platform_fee_cents")+o.DeliveryCents ||
		get("online", "coop_owes_courier_cents") != payOf["online"].CoopCents() || get("online", "courier_pay_cents") != payOf["online"].TotalCents {
		t.Errorf("online invoice row %v", rowOf(inv, ids["online"]))
	}
	k := c.order(ids["cash"]).Place.Totals
	if get("cash", "tip_to_courier_cents") != 300 || get("cash", "restaurant_owes_courier_cents") != 0 ||
		get("cash", "courier_owes_coop_cents") != k.TotalCents-300 || get("cash", "coop_owes_courier_cents") != payOf["cash"].CoopCents() {
		t.Errorf("cash invoice row %v", rowOf(inv, ids["cash"]))
	}
	// the collection's tip stays with the restaurant: it owes the coop its fee only
	if get("counter", "tip_cents") != 100 || get("counter", "tip_to_courier_cents") != 0 || get("counter", "restaurant_owes_courier_cents") != 0 ||
		get("counter", "restaurant_owes_coop_cents") != get("counter", "platform_fee_cents") || get("counter", "coop_owes_restaurant_cents") != 0 {
		t.Errorf("counter invoice row %v", rowOf(inv, ids["counter"]))
	}
}

// TestTipNotInGuarantee: a shift's guaranteed pay is topped up from the
// pay the coop owes; the courier's tips never reduce the top-up.
func TestTipNotInGuarantee(t *testing.T) {
	c, ids := tipDay(t)
	sh := c.emit("admin", c.id, &crdt.ShiftPlan{Start: tuesdayNoon.Add(-time.Hour).UnixMilli(), End: tuesdayNoon.Add(2 * time.Hour).UnixMilli(),
		Needed: 1, GuaranteeCents: 2000}, tuesdayNoon.Add(-3*time.Hour))
	c.emit("zoe", c.id, &crdt.ShiftSignup{Shift: sh.ID}, tuesdayNoon.Add(-2*time.Hour))
	coop, orders := c.state(), c.r.Orders(c.id, nil)
	b, err := ComputeBooks(coop, orders, Period{})
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := RulesFor(coop, 4)
	var earned int64
	for _, name := range []string{"online", "cash"} {
		s := c.order(ids[name])
		p, _ := rules.CourierPay(s.Place.DistanceM, 1, s.Place.Totals.DeliveryCents, s.Place.Totals.TipCents)
		earned += p.CoopCents()
	}
	if len(b.Shifts.Rows) != 1 {
		t.Fatalf("shift rows %v", b.Shifts.Rows)
	}
	r := b.Shifts.Rows[0]
	if atoiT(t, r[column(b.Shifts, "earned_cents")]) != earned || atoiT(t, r[column(b.Shifts, "top_up_cents")]) != 6000-earned {
		t.Fatalf("shift row %v, want earned %d (tips apart)", r, earned)
	}
}

// TestTipSurvivesRefund: a delivered order the restaurant refunds
// afterwards still owes its courier the whole tip: the pay table, the
// payments export and the invoice keep it, and the restaurant bears the
// refund (it still owes the coop its fees and the courier the tip).
func TestTipSurvivesRefund(t *testing.T) {
	c, ids := tipDay(t)
	o := c.order(ids["online"])
	c.emit("resto", o.ID, &crdt.OrderPayment{State: crdt.PayRefunded, Method: crdt.PayOnline, AmountCents: o.Place.Totals.TotalCents,
		Provider: "stripe", Ref: "pi_online", Reason: "cold food"}, tuesdayNoon.Add(2*time.Hour))
	coop, orders := c.state(), c.r.Orders(c.id, nil)
	pe, _ := ExportPayments(coop, orders, Filter{})
	if r := rowOf(pe, o.ID); r[column(pe, "payment_state")] != "refunded" || r[column(pe, "tip_to_courier_cents")] != "200" {
		t.Errorf("payments row %v", r)
	}
	pay, _ := ExportCourierPay(coop, orders, Filter{})
	if r := rowOf(pay, o.ID); r[column(pay, "tip_share_cents")] != "200" {
		t.Errorf("pay row %v", r)
	}
	inv, err := ExportInvoice(coop, orders, Filter{Restaurant: c.pub("resto"), Month: "2026-03"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(col string) int64 { return atoiT(t, rowOf(inv, o.ID)[column(inv, col)]) }
	if get("kept_cents") != 0 || get("tip_to_courier_cents") != 200 || get("restaurant_owes_courier_cents") != 200 ||
		get("restaurant_owes_coop_cents") != get("platform_fee_cents")+o.Place.Totals.DeliveryCents || get("coop_owes_restaurant_cents") != 0 {
		t.Errorf("refunded invoice row %v", rowOf(inv, o.ID))
	}
}

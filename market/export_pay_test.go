package market

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// payDay is day() with payments: order a's cash taken by its courier, the
// collection paid at the counter, b left unrecorded, an online order paid
// and delivered, and an online order paid then refunded on cancellation.
func payDay(t *testing.T) (*coop, map[string]crdt.ID) {
	c, ids := day(t)
	w := tuesdayNoon.Add(2 * time.Hour)
	cash := func(who string, id crdt.ID) {
		c.emit(who, id, &crdt.OrderPayment{State: crdt.PayPaid, Method: crdt.PayCash, AmountCents: c.order(id).Place.Totals.TotalCents}, w)
	}
	cash("zoe", ids["a"])
	cash("resto", ids["collect"])
	rules, err := RulesFor(c.state(), 0)
	if err != nil {
		t.Fatal(err)
	}
	prof := testProfile()
	prof.Payments = crdt.OfferCash | crdt.OfferOnline
	online := func(name string, at time.Time) crdt.ID {
		cart := testCart()
		cart.Restaurant, cart.Payment = c.pub("resto"), crdt.PayOnline
		q, err := Checkout(cart, Context{Profile: prof, Menu: testMenu(), Rules: rules, Now: at})
		if err != nil {
			t.Fatal(err)
		}
		id := c.emit("ann", crdt.ID{}, q.OrderPlace(PlaceExtras{}), time.UnixMilli(q.PricedAt)).ID
		ids[name] = id
		for _, st := range []crdt.PaymentState{crdt.PayPending, crdt.PayPaid} {
			c.emit("resto", id, &crdt.OrderPayment{State: st, Method: crdt.PayOnline, AmountCents: q.TotalCents, Provider: "stripe", Ref: "pi_" + name}, at.Add(time.Minute))
		}
		return id
	}
	o := online("online", tuesdayNoon.Add(7*time.Hour))
	c.emit("resto", o, &crdt.OrderAccept{}, tuesdayNoon.Add(7*time.Hour+2*time.Minute))
	c.emit("zoe", o, &crdt.CourierClaim{}, tuesdayNoon.Add(7*time.Hour+3*time.Minute))
	c.emit("zoe", o, &crdt.TaskPickup{}, tuesdayNoon.Add(7*time.Hour+15*time.Minute))
	c.emit("zoe", o, &crdt.TaskDeliver{Proof: crdt.Proof{Recipient: "door"}}, tuesdayNoon.Add(7*time.Hour+25*time.Minute))
	r := online("refunded", tuesdayNoon.Add(8*time.Hour))
	c.emit("resto", r, &crdt.OrderCancel{Reason: crdt.ReasonSoldOut}, tuesdayNoon.Add(8*time.Hour+5*time.Minute))
	c.emit("resto", r, &crdt.OrderPayment{State: crdt.PayRefunded, Method: crdt.PayOnline, AmountCents: c.order(r).Place.Totals.TotalCents,
		Provider: "stripe", Ref: "pi_refunded", Reason: "cancelled"}, tuesdayNoon.Add(8*time.Hour+6*time.Minute))
	return c, ids
}

func TestExportPayments(t *testing.T) {
	c, ids := payDay(t)
	tab, err := ExportPayments(c.state(), c.r.Orders(c.id, nil), Filter{Day: "2026-03-10"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(name, col string) string { return rowOf(tab, ids[name])[column(tab, col)] }
	for _, r := range tab.Rows {
		if len(r) != len(PaymentsHeader) {
			t.Fatal("ragged row")
		}
	}
	total := func(name string) string { return i64(c.order(ids[name]).Place.Totals.TotalCents) }
	for _, w := range []struct{ order, col, want string }{
		{"a", "method", "cash"}, {"a", "payment_state", "paid"}, {"a", "collected_by", "courier"}, {"a", "paid_cents", total("a")},
		{"a", "tip_to_courier_cents", i64(c.order(ids["a"]).Place.Totals.TipCents)},
		{"collect", "collected_by", "restaurant"}, {"collect", "tip_to_courier_cents", "0"},
		{"b", "payment_state", "none"}, {"b", "collected_by", ""}, {"b", "paid_cents", "0"},
		{"online", "method", "online"}, {"online", "provider", "stripe"}, {"online", "ref", "pi_online"}, {"online", "collected_by", "restaurant"},
		{"online", "tip_to_courier_cents", i64(c.order(ids["online"]).Place.Totals.TipCents)},
		{"refunded", "payment_state", "refunded"}, {"refunded", "refunded_cents", total("refunded")}, {"refunded", "tip_to_courier_cents", "0"},
		{"refunded", "reason", "cancelled"},
	} {
		if got := get(w.order, w.col); got != w.want {
			t.Errorf("%s %s = %q, want %q", w.order, w.col, got, w.want)
		}
	}
}

// TestExportInvoice: one restaurant's month: fees owed to the coop for
// what it collected, its net owed to it for what the courier collected,
// the refunded order at zero, the unrecorded one left to settle by hand,
// and a total row that sums the columns.
func TestExportInvoice(t *testing.T) {
	c, ids := payDay(t)
	orders := c.r.Orders(c.id, nil)
	tab, err := ExportInvoice(c.state(), orders, Filter{Restaurant: c.pub("resto"), Month: "2026-03"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(name, col string) string {
		r := rowOf(tab, ids[name])
		if r == nil {
			t.Fatalf("no row for %s", name)
		}
		return r[column(tab, col)]
	}
	o := c.order(ids["online"])
	rc, err := Reprice(c.state(), o)
	if err != nil {
		t.Fatal(err)
	}
	// online, delivered: the restaurant kept the total and owes the coop
	// the platform fee and the delivery fee; the tip goes to the courier
	if want := i64(rc.PlatformFeeCents + o.Place.Totals.DeliveryCents); get("online", "restaurant_owes_coop_cents") != want {
		t.Errorf("online owes %s, want %s", get("online", "restaurant_owes_coop_cents"), want)
	}
	if get("online", "tip_to_courier_cents") != i64(o.Place.Totals.TipCents) || get("online", "courier_name") != "zoe" {
		t.Errorf("online row %v", rowOf(tab, ids["online"]))
	}
	if get("online", "coop_owes_restaurant_cents") != "0" || get("online", "restaurant_owes_courier_cents") != i64(o.Place.Totals.TipCents) ||
		get("online", "courier_owes_coop_cents") != "0" {
		t.Errorf("online row %v", rowOf(tab, ids["online"]))
	}
	// cash taken by the courier (issue 17, weakness 2): no negative
	// amount, but the coop owes the restaurant its net and the courier
	// owes the coop the cash less the tip it keeps
	a := c.order(ids["a"]).Place.Totals
	if get("a", "restaurant_owes_coop_cents") != "0" || get("a", "coop_owes_restaurant_cents") != get("a", "restaurant_net_cents") ||
		get("a", "courier_owes_coop_cents") != i64(a.TotalCents-a.TipCents) || get("a", "restaurant_owes_courier_cents") != "0" {
		t.Errorf("a: %v", rowOf(tab, ids["a"]))
	}
	for _, col := range []string{"restaurant_owes_coop_cents", "coop_owes_restaurant_cents", "restaurant_owes_courier_cents", "courier_owes_coop_cents", "coop_owes_courier_cents"} {
		if get("b", col) != "" || get("refunded", col) != "" {
			t.Errorf("%s of an unrecorded or unserved order: %q, %q", col, get("b", col), get("refunded", col))
		}
		for _, r := range tab.Rows {
			if v := r[column(tab, col)]; strings.HasPrefix(v, "-") {
				t.Errorf("%s %s is negative: %v", r[1], col, r)
			}
		}
	}
	if get("b", "collected_by") != "unrecorded" {
		t.Errorf("b: %v", rowOf(tab, ids["b"]))
	}
	if get("refunded", "kept_cents") != "0" || get("refunded", "platform_fee_cents") != "0" {
		t.Errorf("refunded: %v", rowOf(tab, ids["refunded"]))
	}
	if rowOf(tab, ids["cancelled"]) != nil || rowOf(tab, ids["parcel"]) != nil {
		t.Error("an unpaid cancelled order or another member's order on the invoice")
	}
	for _, r := range tab.Rows {
		if len(r) != len(InvoiceHeader) {
			t.Fatalf("ragged row %v", r)
		}
	}
	last, bal := tab.Rows[len(tab.Rows)-2], tab.Rows[len(tab.Rows)-1]
	if last[column(tab, "order")] != "total" || bal[column(tab, "order")] != "balance" {
		t.Fatalf("no total and balance rows: %v %v", last, bal)
	}
	for _, col := range []string{"items_cents", "kept_cents", "platform_fee_cents", "tip_to_courier_cents", "restaurant_owes_coop_cents",
		"coop_owes_restaurant_cents", "restaurant_owes_courier_cents", "courier_owes_coop_cents", "coop_owes_courier_cents"} {
		var sum int64
		for _, r := range tab.Rows[:len(tab.Rows)-2] {
			var v int64
			if s := r[column(tab, col)]; s != "" {
				if _, err := fmtSscan(s, &v); err != nil {
					t.Fatal(err)
				}
			}
			sum += v
		}
		if last[column(tab, col)] != i64(sum) {
			t.Errorf("total %s = %s, want %d", col, last[column(tab, col)], sum)
		}
	}
	// the balance nets the month: one direction, the other 0
	owes, owed := atoiT(t, last[column(tab, "restaurant_owes_coop_cents")]), atoiT(t, last[column(tab, "coop_owes_restaurant_cents")])
	wantBal := MonthBalance(owes, owed)
	if bal[column(tab, "restaurant_owes_coop_cents")] != i64(wantBal.RestaurantOwesCoop) || bal[column(tab, "coop_owes_restaurant_cents")] != i64(wantBal.CoopOwesRestaurant) ||
		(wantBal.RestaurantOwesCoop != 0) == (wantBal.CoopOwesRestaurant != 0) && owes != owed || wantBal.RestaurantOwesCoop-wantBal.CoopOwesRestaurant != owes-owed {
		t.Errorf("balance %v from %d and %d", bal, owes, owed)
	}
	// another month is empty but for its total and balance
	if tab, _ := ExportInvoice(c.state(), orders, Filter{Restaurant: c.pub("resto"), Month: "2026-04"}); len(tab.Rows) != 2 {
		t.Errorf("April: %v", tab.Rows)
	}
	for _, f := range []Filter{{Month: "2026-03"}, {Restaurant: c.pub("resto"), Month: "March"}, {Restaurant: c.pub("resto")}} {
		if _, err := ExportInvoice(c.state(), orders, f); !errors.Is(err, ErrBadFilter) {
			t.Errorf("%+v: %v", f, err)
		}
	}
}

func fmtSscan(s string, v *int64) (int, error) { return fmt.Sscan(s, v) }

// TestBooksCarryPayments: the open books list each order's payment, in
// the canonical text and so in the digest; books without a payment keep
// the text they had before payments (SPEC.md §21.3).
func TestBooksCarryPayments(t *testing.T) {
	c, ids := payDay(t)
	b, err := ComputeBooks(c.state(), c.r.Orders(c.id, nil), Period{From: "2026-03-10", To: "2026-03-10"})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Payments.Rows) != 4 {
		t.Fatalf("payment rows %v", b.Payments.Rows)
	}
	row := rowOf(b.Payments, ids["refunded"])
	if row == nil || row[column(b.Payments, "payment_state")] != "refunded" || row[column(b.Payments, "refunded_cents")] == "0" {
		t.Fatalf("refunded row %v", row)
	}
	if row := rowOf(b.Payments, ids["a"]); row[column(b.Payments, "collected_by")] != "courier" {
		t.Fatalf("cash row %v", row)
	}
	if !strings.Contains(string(b.Canonical()), "[payments]\n"+strings.Join(BookPaymentsHeader, ",")+"\n") {
		t.Fatal("no payments table in the canonical text")
	}
	plain, _ := day(t)
	pb, err := ComputeBooks(plain.state(), plain.r.Orders(plain.id, nil), Period{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(pb.Canonical()), "[payments]") || len(pb.Payments.Rows) != 0 {
		t.Fatal("books without payments changed their canonical text")
	}
}

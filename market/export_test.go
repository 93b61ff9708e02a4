package market

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// day builds a day of the cooperative: two delivered food orders (one by
// each courier), a collection, a cancelled order, a parcel round, and an
// order the next day.
func day(t *testing.T) (*coop, map[string]crdt.ID) {
	c := newCoop(t)
	rules, err := RulesFor(c.state(), 0)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]crdt.ID{}
	food := func(name, customer string, now time.Time, cart Cart) crdt.ID {
		cart.Restaurant = c.pub("resto")
		ctx := Context{Profile: testProfile(), Menu: testMenu(), Rules: rules, Now: now}
		q, err := Checkout(cart, ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		e := c.emit(customer, crdt.ID{}, q.OrderPlace(PlaceExtras{}), time.UnixMilli(q.PricedAt))
		ids[name] = e.ID
		return e.ID
	}
	deliver := func(id crdt.ID, courier string, w time.Time) {
		c.emit("resto", id, &crdt.OrderAccept{}, w)
		c.emit(courier, id, &crdt.CourierClaim{}, w.Add(time.Minute))
		c.emit(courier, id, &crdt.TaskPickup{}, w.Add(15*time.Minute))
		c.emit(courier, id, &crdt.TaskDeliver{Proof: crdt.Proof{Recipient: "door"}}, w.Add(25*time.Minute))
	}
	a := food("a", "ann", tuesdayNoon, testCart())
	deliver(a, "zoe", tuesdayNoon.Add(time.Minute))
	c.emit("ann", a, &crdt.OrderRate{RestaurantStars: 4, CourierStars: 5}, tuesdayNoon.Add(time.Hour))
	far := testCart()
	far.Dropoff, far.TipCents = farDrop, 0
	b := food("b", "bob", tuesdayNoon.Add(5*time.Minute), far)
	deliver(b, "max", tuesdayNoon.Add(6*time.Minute))
	col := testCart()
	col.Fulfilment, col.Dropoff, col.TipCents = crdt.FulfilCollection, crdt.Position{}, 0
	cid := food("collect", "cid", tuesdayNoon.Add(40*time.Minute), col)
	c.emit("resto", cid, &crdt.OrderAccept{}, tuesdayNoon.Add(41*time.Minute))
	c.emit("resto", cid, &crdt.OrderFulfil{}, tuesdayNoon.Add(55*time.Minute))
	x := food("cancelled", "dan", tuesdayNoon.Add(42*time.Minute), testCart())
	c.emit("dan", x, &crdt.OrderCancel{Reason: crdt.ReasonCustomer}, tuesdayNoon.Add(43*time.Minute))
	req := parcelRequest()
	req.Shop = c.pub("shop")
	pq, err := QuoteParcel(req, ParcelContext{Rules: rules, Now: tuesdayNoon})
	if err != nil {
		t.Fatal(err)
	}
	p := c.emit("shop", crdt.ID{}, pq.OrderPlace(PlaceExtras{}), time.UnixMilli(pq.PricedAt)).ID
	ids["parcel"] = p
	w := tuesdayNoon.Add(time.Hour)
	c.emit("zoe", p, &crdt.CourierClaim{}, w)
	c.emit("zoe", p, &crdt.TaskPickup{}, w.Add(5*time.Minute))
	for i := uint16(1); i <= 3; i++ {
		c.emit("zoe", p, &crdt.TaskDeliver{Stop: i, Proof: crdt.Proof{Recipient: "r" + string(rune('0'+i))}}, w.Add(time.Duration(i)*10*time.Minute))
	}
	next := food("next day", "ann", tuesdayNoon.Add(24*time.Hour), testCart())
	deliver(next, "zoe", tuesdayNoon.Add(24*time.Hour+time.Minute))
	return c, ids
}

func column(t *Table, name string) int {
	for i, h := range t.Header {
		if h == name {
			return i
		}
	}
	panic("no column " + name)
}

func rowOf(t *Table, id crdt.ID) []string {
	for _, r := range t.Rows {
		if r[column(t, "order")] == id.String() {
			return r
		}
	}
	return nil
}

func TestExports(t *testing.T) {
	c, ids := day(t)
	coop := c.state()
	orders := c.r.Orders(c.id, nil)
	tab, err := ExportOrders(coop, orders, Filter{Day: "2026-03-10"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 5 {
		t.Fatalf("%d orders on the 10th", len(tab.Rows))
	}
	for _, r := range tab.Rows {
		if len(r) != len(OrdersHeader) {
			t.Fatal("ragged row")
		}
	}
	a := rowOf(tab, ids["a"])
	get := func(row []string, col string) string { return row[column(tab, col)] }
	if get(a, "status") != "delivered" || get(a, "items_cents") != "1850" || get(a, "delivery_cents") != "250" ||
		get(a, "platform_fee_cents") != "278" || get(a, "restaurant_net_cents") != "1572" || get(a, "courier_name") != "zoe" ||
		get(a, "restaurant_stars") != "4" || get(a, "courier_stars") != "5" || get(a, "repriced") != "yes" ||
		get(a, "rules_version") != "3" || get(a, "day") != "2026-03-10" || !strings.HasSuffix(get(a, "placed_at"), "+01:00") {
		t.Fatalf("order a: %v", a)
	}
	if r := rowOf(tab, ids["collect"]); get(r, "kind") != "collection" || get(r, "platform_fee_cents") != "148" || get(r, "courier") != "" {
		t.Fatalf("collection: %v", r)
	}
	if r := rowOf(tab, ids["cancelled"]); get(r, "status") != "cancelled" || get(r, "reason") != "customer" || get(r, "courier_pay_cents") != "" {
		t.Fatalf("cancelled: %v", r)
	}
	if r := rowOf(tab, ids["parcel"]); get(r, "kind") != "parcel" || get(r, "platform_fee_cents") != "0" || get(r, "restaurant_name") != "shop" {
		t.Fatalf("parcel: %v", r)
	}
	// filters
	if tab, _ := ExportOrders(coop, orders, Filter{Courier: c.pub("max")}); len(tab.Rows) != 1 || tab.Rows[0][column(tab, "order")] != ids["b"].String() {
		t.Fatalf("courier filter: %v", tab.Rows)
	}
	if tab, _ := ExportOrders(coop, orders, Filter{Restaurant: c.pub("resto")}); len(tab.Rows) != 5 {
		t.Fatalf("restaurant filter: %d rows", len(tab.Rows))
	}
	if tab, _ := ExportOrders(coop, orders, Filter{Day: "2026-03-11"}); len(tab.Rows) != 1 {
		t.Fatalf("next day: %d rows", len(tab.Rows))
	}
	if _, err := ExportOrders(coop, orders, Filter{Day: "10/03/2026"}); !errors.Is(err, ErrBadFilter) {
		t.Fatalf("bad day: %v", err)
	}

	// deliveries: a, b, the parcel's three stops (the collection and the
	// never-accepted cancelled order have none)
	del, _ := ExportDeliveries(coop, orders, Filter{Day: "2026-03-10"})
	if len(del.Rows) != 5 {
		t.Fatalf("%d delivery rows", len(del.Rows))
	}
	stops := 0
	for _, r := range del.Rows {
		if r[column(del, "order")] == ids["parcel"].String() {
			stops++
			if r[column(del, "status")] != "DONE" || r[column(del, "ref")] == "" || r[column(del, "recipient")] == "" {
				t.Fatalf("stop row %v", r)
			}
		}
	}
	if stops != 3 {
		t.Fatalf("%d parcel stops", stops)
	}

	// pay: a, b and the parcel
	pay, _ := ExportCourierPay(coop, orders, Filter{Day: "2026-03-10"})
	if len(pay.Rows) != 3 {
		t.Fatalf("%d pay rows", len(pay.Rows))
	}
	pa := rowOf(pay, ids["a"])
	rc, _ := Reprice(coop, c.order(ids["a"]))
	if pa[column(pay, "pay_cents")] != i64(rc.Pay.TotalCents) || pa[column(pay, "tip_share_cents")] != "200" {
		t.Fatalf("pay of a: %v (want %d)", pa, rc.Pay.TotalCents)
	}
	sum, _ := ExportPaySummary(coop, orders, Filter{})
	if len(sum.Rows) != 3 { // zoe on the 10th, max on the 10th, zoe on the 11th
		t.Fatalf("summary %v", sum.Rows)
	}
	for _, r := range sum.Rows {
		if r[0] == "2026-03-10" && r[2] == "zoe" && r[3] != "2" {
			t.Fatalf("zoe's jobs on the 10th: %v", r)
		}
	}

	var buf bytes.Buffer
	if err := pay.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 || lines[0] != strings.Join(PayHeader, ",") {
		t.Fatalf("csv:\n%s", buf.String())
	}
	// exports are deterministic: the same on another node, whatever order
	// it lists the orders in
	rev := append([]*crdt.OrderState(nil), orders...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	again, _ := ExportOrders(coop, rev, Filter{Day: "2026-03-10"})
	if js(t, again) != js(t, mustOrders(t, coop, orders)) {
		t.Fatal("export depends on the order of its input")
	}
}

func mustOrders(t *testing.T, coop *crdt.CoopState, orders []*crdt.OrderState) *Table {
	tab, err := ExportOrders(coop, orders, Filter{Day: "2026-03-10"})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

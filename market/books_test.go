package market

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// TestBooks: the open books of a day (SPEC.md §21.3): a line per order with
// takings, fees, pay and tip share; the shift guarantee topped up; the
// rules versions in force each day; totals per day, week, month, courier
// and restaurant; a digest that does not depend on the order the orders
// come in and changes with any figure.
func TestBooks(t *testing.T) {
	c, ids := day(t)
	shift := c.emit("admin", c.id, &crdt.ShiftPlan{Start: tuesdayNoon.Add(-time.Hour).UnixMilli(), End: tuesdayNoon.Add(2 * time.Hour).UnixMilli(),
		Needed: 2, GuaranteeCents: 2000}, tuesdayNoon.Add(-3*time.Hour))
	c.emit("zoe", c.id, &crdt.ShiftSignup{Shift: shift.ID}, tuesdayNoon.Add(-2*time.Hour))
	v4 := testRulesSet()
	v4.Version, v4.Pay.BaseCents = 4, 500
	c.emit("admin", c.id, v4, tuesdayNoon.Add(3*time.Hour))
	coop, orders := c.state(), c.r.Orders(c.id, nil)

	b, err := ComputeBooks(coop, orders, Period{From: "2026-03-10", To: "2026-03-10"})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Orders.Rows) != 5 {
		t.Fatalf("%d order lines on the 10th", len(b.Orders.Rows))
	}
	get := func(tab *Table, row []string, col string) string { return row[column(tab, col)] }
	a := rowOf(b.Orders, ids["a"])
	rc, _ := Reprice(coop, c.order(ids["a"]))
	if get(b.Orders, a, "takings_cents") != "2300" || get(b.Orders, a, "platform_fee_cents") != "278" || get(b.Orders, a, "restaurant_net_cents") != "1572" ||
		get(b.Orders, a, "courier_pay_cents") != i64(rc.Pay.TotalCents) || get(b.Orders, a, "tip_share_cents") != "200" || get(b.Orders, a, "courier") != c.pub("zoe").String() {
		t.Fatalf("order a: %v", a)
	}
	if x := rowOf(b.Orders, ids["cancelled"]); get(b.Orders, x, "takings_cents") != "0" || get(b.Orders, x, "courier_pay_cents") != "0" {
		t.Fatalf("cancelled order: %v", x)
	}
	if strings.Contains(string(b.Canonical()), c.pub("ann").String()) {
		t.Fatal("a customer's key is in the books")
	}
	// zoe's guarantee: 3 h at 20.00 = 60.00, less what she earned on shift
	// (order a and the parcel, picked up between 11:00 and 14:00)
	if len(b.Shifts.Rows) != 1 {
		t.Fatalf("shift lines %v", b.Shifts.Rows)
	}
	pp, _ := Reprice(coop, c.order(ids["parcel"]))
	earned := rc.Pay.CoopCents() + pp.Pay.CoopCents() // tips apart
	s := b.Shifts.Rows[0]
	if get(b.Shifts, s, "minutes") != "180" || get(b.Shifts, s, "guarantee_cents") != "6000" || get(b.Shifts, s, "earned_cents") != i64(earned) ||
		get(b.Shifts, s, "top_up_cents") != i64(6000-earned) {
		t.Fatalf("shift line %v (earned %d)", s, earned)
	}
	// the rules in force on the 10th: version 3, then 4 from 15:00
	if len(b.Rules.Rows) != 2 || b.Rules.Rows[0][1] != "3" || b.Rules.Rows[1][1] != "4" {
		t.Fatalf("rules in force %v", b.Rules.Rows)
	}
	// totals
	var takings, pay int64
	for _, r := range b.Orders.Rows {
		takings += atoi(t, get(b.Orders, r, "takings_cents"))
		pay += atoi(t, get(b.Orders, r, "courier_pay_cents"))
	}
	if len(b.Days) != 1 || b.Days[0].TakingsCents != takings || b.Days[0].CourierPayCents != pay+6000-earned || b.Days[0].TopUpCents != 6000-earned {
		t.Fatalf("day total %+v (takings %d, pay %d)", b.Days, takings, pay)
	}
	if len(b.Weeks) != 1 || b.Weeks[0].Key != "2026-W11" || len(b.Months) != 1 || b.Months[0].Key != "2026-03" {
		t.Fatalf("weeks %+v months %+v", b.Weeks, b.Months)
	}
	for _, ct := range b.Couriers {
		if ct.Key == c.pub("zoe").String() && (ct.Orders != 2 || ct.TopUpCents != 6000-earned) {
			t.Fatalf("zoe's statement %+v", ct)
		}
	}
	// the digest: same whatever the order of the orders, another for
	// another period, and the canonical text starts as specified
	rev := append([]*crdt.OrderState(nil), orders...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	again, _ := ComputeBooks(coop, rev, Period{From: "2026-03-10", To: "2026-03-10"})
	if again.Digest != b.Digest || len(b.Digest) != 64 {
		t.Fatalf("digest %s, then %s", b.Digest, again.Digest)
	}
	all, _ := ComputeBooks(coop, orders, Period{})
	if all.Digest == b.Digest || len(all.Orders.Rows) != 6 {
		t.Fatalf("the whole books: %d lines, digest %s", len(all.Orders.Rows), all.Digest)
	}
	if !strings.HasPrefix(string(b.Canonical()), "coopnode books v1\nperiod,2026-03-10,2026-03-10\n[orders]\nday,order,") {
		t.Fatalf("canonical text:\n%.200s", b.Canonical())
	}
	if _, err := ComputeBooks(coop, orders, Period{From: "10/03/2026"}); !errors.Is(err, ErrBadFilter) {
		t.Fatalf("bad period: %v", err)
	}
}

func atoi(t *testing.T, s string) int64 {
	var n int64
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			t.Fatalf("not a count: %q", s)
		}
		n = n*10 + int64(ch-'0')
	}
	return n
}

package market

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// The open books (SPEC.md §21.3): the coop's accounts as a pure function of
// its folded logs, so that every member's node prints the same numbers and
// the same digest. Per order: takings, delivery fee, tax, platform fee,
// the restaurant's net, courier pay and the tip (wholly the courier's), by the rules
// version the order names; per shift seat: the guaranteed pay and the
// top-up that reaches it; per day: the rules versions in force. No
// customer key, name or address enters the books.

// BooksVersion names the canonical encoding of the books (SPEC.md §21.3.2).
const BooksVersion = "coopnode books v1"

// Headers of the canonical tables (SPEC.md §21.3.1).
var (
	BookOrdersHeader = []string{"day", "order", "kind", "status", "restaurant", "courier", "rules_version",
		"items_cents", "delivery_cents", "tip_cents", "tax_cents", "takings_cents", "platform_fee_cents",
		"restaurant_net_cents", "courier_pay_cents", "tip_share_cents"}
	BookShiftsHeader = []string{"day", "shift", "courier", "minutes", "guarantee_cents", "earned_cents", "top_up_cents"}
	BookRulesHeader  = []string{"day", "version", "event"}
	// BookPaymentsHeader: the payments table (SPEC.md §21.3.1, §20.5).
	BookPaymentsHeader = []string{"day", "order", "method", "payment_state", "paid_cents", "refunded_cents", "collected_by", "tip_to_courier_cents"}
)

// Period selects the local days [From, To] of the books, "2006-01-02" in
// the coop's time zone; an empty bound is open.
type Period struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Books are the coop's accounts over a period.
type Books struct {
	Period Period `json:"period"`
	Orders *Table `json:"orders"`
	Shifts *Table `json:"shifts"`
	Rules  *Table `json:"rules"`
	// Payments has a row per order of the period with a payment recorded
	// (SPEC.md §20); in the canonical text only when it has rows.
	Payments *Table `json:"payments"`
	// Totals sum the order and shift lines per day, ISO week and month,
	// per courier and per restaurant.
	Days        []Total `json:"days"`
	Weeks       []Total `json:"weeks"`
	Months      []Total `json:"months"`
	Couriers    []Total `json:"couriers"`
	Restaurants []Total `json:"restaurants"`
	// Digest is the hex SHA-256 of Canonical().
	Digest string `json:"digest"`
}

// Total sums lines under one key: a day, week ("2026-W11"), month
// ("2026-03"), courier key or restaurant key.
type Total struct {
	Key              string `json:"key"`
	Orders           int64  `json:"orders"`
	TakingsCents     int64  `json:"takings_cents"`
	DeliveryCents    int64  `json:"delivery_cents"`
	PlatformFeeCents int64  `json:"platform_fee_cents"`
	CourierPayCents  int64  `json:"courier_pay_cents"`
	TipShareCents    int64  `json:"tip_share_cents"`
	TopUpCents       int64  `json:"top_up_cents"`
}

// ComputeBooks computes the books of a coop's orders over a period.
func ComputeBooks(coop *crdt.CoopState, orders []*crdt.OrderState, p Period) (*Books, error) {
	for _, d := range []string{p.From, p.To} {
		if _, err := time.Parse("2006-01-02", d); d != "" && err != nil {
			return nil, fmt.Errorf("%w: day %q, want YYYY-MM-DD", ErrBadFilter, d)
		}
	}
	if coop == nil {
		return nil, fmt.Errorf("%w: no coop state", ErrNoRules)
	}
	x, err := newExporter(coop)
	if err != nil {
		return nil, err
	}
	in := func(day string) bool { return (p.From == "" || day >= p.From) && (p.To == "" || day <= p.To) }
	b := &Books{Period: p, Orders: &Table{Header: BookOrdersHeader}, Shifts: &Table{Header: BookShiftsHeader}, Rules: &Table{Header: BookRulesHeader},
		Payments: &Table{Header: BookPaymentsHeader}}
	sums := map[string]map[string]*Total{}
	add := func(kind, key string, f func(*Total)) {
		if sums[kind] == nil {
			sums[kind] = map[string]*Total{}
		}
		t, ok := sums[kind][key]
		if !ok {
			t = &Total{Key: key}
			sums[kind][key] = t
		}
		f(t)
	}
	periods := func(day string) [][2]string {
		d, _ := time.Parse("2006-01-02", day)
		y, w := d.ISOWeek()
		return [][2]string{{"day", day}, {"week", fmt.Sprintf("%04d-W%02d", y, w)}, {"month", day[:7]}}
	}
	sel, _ := x.selected(orders, Filter{})
	earned := map[crdt.PubKey][]*crdt.OrderState{} // courier -> orders it is paid for
	payOf := map[crdt.ID]Pay{}
	var days []string
	for _, s := range sel {
		day := x.day(s)
		if pay, ok := x.coursePay(s); ok {
			earned[s.Holder] = append(earned[s.Holder], s)
			payOf[s.ID] = pay
		}
		if !in(day) {
			continue
		}
		days = append(days, day)
		t := &s.Place.Totals
		var takings, fee, net int64
		if s.Status == crdt.StatusDelivered || s.Status == crdt.StatusFulfilled {
			takings = t.TotalCents
			if r := x.rulesOf(s); r != nil || s.Place.RulesVersion == 0 {
				fee, _ = r.PlatformFee(s.Place.Fulfilment, s.Place.Parcel, t.ItemsCents)
			}
			net = t.ItemsCents - fee
		}
		pay := payOf[s.ID]
		if s.Payment != nil {
			m := moneyOf(s)
			b.Payments.Rows = append(b.Payments.Rows, []string{day, s.ID.String(), s.Place.Payment.Effective().String(), s.PaymentState().String(),
				i64(m.paid), i64(m.refunded), m.collectedBy, i64(m.tip)})
		}
		b.Orders.Rows = append(b.Orders.Rows, []string{day, s.ID.String(), kindOf(s), s.Status.String(), key(s.Restaurant),
			key(s.Holder), u64(s.Place.RulesVersion), i64(t.ItemsCents), i64(t.DeliveryCents), i64(t.TipCents),
			i64(t.TaxCents), i64(takings), i64(fee), i64(net), i64(pay.TotalCents), i64(pay.TipCents)})
		line := func(tt *Total) {
			tt.Orders++
			tt.TakingsCents += takings
			if takings != 0 {
				tt.DeliveryCents += t.DeliveryCents
			}
			tt.PlatformFeeCents += fee
			tt.CourierPayCents += pay.TotalCents
			tt.TipShareCents += pay.TipCents
		}
		for _, pk := range periods(day) {
			add(pk[0], pk[1], line)
		}
		add("restaurant", key(s.Restaurant), line)
		if pay.TotalCents != 0 {
			add("courier", key(s.Holder), func(tt *Total) {
				tt.Orders++
				tt.CourierPayCents += pay.TotalCents
				tt.TipShareCents += pay.TipCents
			})
		}
	}
	for _, sh := range coop.SortedShifts() {
		pl := sh.Plan
		day := time.UnixMilli(pl.Start).In(x.loc).Format("2006-01-02")
		if pl.GuaranteeCents == 0 || !in(day) {
			continue
		}
		days = append(days, day)
		ms := pl.End - pl.Start
		g, ok := mul(pl.GuaranteeCents, ms)
		if !ok {
			return nil, fmt.Errorf("%w: guarantee of shift %s", ErrAmountRange, sh.ID.Short())
		}
		g = divHalfUp(g, 3_600_000)
		for _, seat := range sh.Seats {
			var got int64
			for _, s := range earned[seat.Courier] {
				if sh.Covers(s.Pickup.DoneAt) {
					got += payOf[s.ID].CoopCents() // tips never count towards a guarantee (SPEC.md §20.5)
				}
			}
			top := max(g-got, 0)
			b.Shifts.Rows = append(b.Shifts.Rows, []string{day, sh.ID.String(), key(seat.Courier), i64(ms / 60_000), i64(g), i64(got), i64(top)})
			for _, pk := range append(periods(day), [2]string{"courier", key(seat.Courier)}) {
				add(pk[0], pk[1], func(tt *Total) { tt.TopUpCents += top; tt.CourierPayCents += top })
			}
		}
	}
	b.rulesInForce(coop, x.loc, p, days)
	b.Days, b.Weeks, b.Months = sorted(sums["day"]), sorted(sums["week"]), sorted(sums["month"])
	b.Couriers, b.Restaurants = sorted(sums["courier"]), sorted(sums["restaurant"])
	sum := sha256.Sum256(b.Canonical())
	b.Digest = hex.EncodeToString(sum[:])
	return b, nil
}

// rulesInForce lists, for every day from the period's first to its last
// (or, for open bounds, the first and last day with a line), the rules
// versions in force at some time of the day: the one in force at its
// start and every one set during it (SPEC.md §21.3.1).
func (b *Books) rulesInForce(coop *crdt.CoopState, loc *time.Location, p Period, days []string) {
	first, last := p.From, p.To
	for _, d := range days {
		if first == "" || (p.From == "" && d < first) {
			first = d
		}
		if last == "" || (p.To == "" && d > last) {
			last = d
		}
	}
	if first == "" || last == "" || coop == nil {
		return
	}
	d, _ := time.ParseInLocation("2006-01-02", first, loc)
	for n := 0; n < 3660 && d.Format("2006-01-02") <= last; n++ {
		next := d.AddDate(0, 0, 1)
		lo, hi := d.UnixMilli(), next.UnixMilli()
		var at *crdt.RulesVersion
		for i := range coop.Rules {
			rv := &coop.Rules[i]
			switch {
			case rv.SetAt <= lo:
				at = rv
			case rv.SetAt < hi:
				if at != nil {
					b.Rules.Rows = append(b.Rules.Rows, []string{d.Format("2006-01-02"), u64(at.Version), at.Event.String()})
				}
				at = rv
			}
		}
		if at != nil {
			b.Rules.Rows = append(b.Rules.Rows, []string{d.Format("2006-01-02"), u64(at.Version), at.Event.String()})
		}
		d = next
	}
}

func sorted(m map[string]*Total) []Total {
	out := make([]Total, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Canonical returns the canonical encoding the digest covers (SPEC.md
// §21.3.2): the version line, the period line, then the orders, shifts
// and rules tables, each a "[name]" line, its header and its rows, fields
// joined by "," and lines ended by "\n". No field holds a comma, a quote
// or a line end: they are decimal integers, hex, dates and lowercase
// names.
func (b *Books) Canonical() []byte {
	var w bytes.Buffer
	w.WriteString(BooksVersion + "\n")
	fmt.Fprintf(&w, "period,%s,%s\n", b.Period.From, b.Period.To)
	for _, t := range []struct {
		name string
		t    *Table
	}{{"orders", b.Orders}, {"shifts", b.Shifts}, {"rules", b.Rules}, {"payments", b.Payments}} {
		if t.name == "payments" && (t.t == nil || len(t.t.Rows) == 0) {
			continue // books without payments keep their v1 text
		}
		w.WriteString("[" + t.name + "]\n")
		w.WriteString(strings.Join(t.t.Header, ",") + "\n")
		for _, r := range t.t.Rows {
			w.WriteString(strings.Join(r, ",") + "\n")
		}
	}
	return w.Bytes()
}

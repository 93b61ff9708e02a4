package market

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// Exports (SPEC.md §16.10): orders, deliveries and courier pay as CSV
// tables, filtered by day, courier or restaurant. They are computed from
// the orders' recorded states and the coop's rules versions; the caller
// writes them where it likes.

// Filter selects the orders of an export. Zero fields select everything.
type Filter struct {
	// Day is a local date in the coop's time zone, "2006-01-02": the day
	// of an order is the local date of its reference time (slot start, else
	// placed at).
	Day        string      `json:"day,omitempty"`
	Courier    crdt.PubKey `json:"courier,omitzero"`    // the holder
	Restaurant crdt.PubKey `json:"restaurant,omitzero"` // or shop
	// Month, "2006-01", selects an invoice's month (ExportInvoice only).
	Month string `json:"month,omitempty"`
}

// Table is a CSV table: a header and rows of the same width.
type Table struct {
	Header []string   `json:"header"`
	Rows   [][]string `json:"rows"`
}

// WriteCSV writes the table as RFC 4180 CSV (header first, CRLF-free "\n"
// line ends) to w.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	if err := cw.WriteAll(t.Rows); err != nil {
		return err
	}
	return cw.Error()
}

// exporter holds what every export needs: the coop's zone, member names
// and compiled rules by version.
type exporter struct {
	coop  *crdt.CoopState
	loc   *time.Location
	rules map[uint64]*Rules
}

func newExporter(coop *crdt.CoopState) (*exporter, error) {
	tz := ""
	if coop != nil {
		tz = coop.Timezone
	}
	loc, err := LoadLocation(tz)
	if err != nil {
		return nil, err
	}
	return &exporter{coop: coop, loc: loc, rules: map[uint64]*Rules{}}, nil
}

// rulesOf returns the compiled rules an order was priced with, or nil.
func (x *exporter) rulesOf(s *crdt.OrderState) *Rules {
	v := s.Place.RulesVersion
	if v == 0 {
		return nil
	}
	if r, ok := x.rules[v]; ok {
		return r
	}
	r, err := RulesFor(x.coop, v)
	if err != nil {
		r = nil
	}
	x.rules[v] = r
	return r
}

func (x *exporter) name(k crdt.PubKey) string {
	if x.coop == nil || k.IsZero() {
		return ""
	}
	if m, ok := x.coop.Members[k]; ok {
		return m.Name
	}
	return ""
}

func (x *exporter) day(s *crdt.OrderState) string {
	return RefTime(&s.Place, s.PlacedAt).In(x.loc).Format("2006-01-02")
}

func (x *exporter) when(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).In(x.loc).Format(time.RFC3339)
}

func key(k crdt.PubKey) string {
	if k.IsZero() {
		return ""
	}
	return k.String()
}

// selected applies the filter and sorts by reference time, then order ID.
func (x *exporter) selected(orders []*crdt.OrderState, f Filter) ([]*crdt.OrderState, error) {
	if f.Day != "" {
		if _, err := time.Parse("2006-01-02", f.Day); err != nil {
			return nil, fmt.Errorf("%w: day %q, want YYYY-MM-DD", ErrBadFilter, f.Day)
		}
	}
	var out []*crdt.OrderState
	for _, s := range orders {
		if s == nil || s.Status == crdt.StatusInvalid ||
			(f.Day != "" && x.day(s) != f.Day) ||
			(!f.Courier.IsZero() && s.Holder != f.Courier) ||
			(!f.Restaurant.IsZero() && s.Restaurant != f.Restaurant) {
			continue
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := RefTime(&out[i].Place, out[i].PlacedAt), RefTime(&out[j].Place, out[j].PlacedAt)
		if !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].ID.Compare(out[j].ID) < 0
	})
	return out, nil
}

func kindOf(s *crdt.OrderState) string {
	switch {
	case s.Place.Parcel:
		return "parcel"
	case s.Place.Fulfilment == crdt.FulfilCollection:
		return "collection"
	}
	return "delivery"
}

func i64(v int64) string  { return strconv.FormatInt(v, 10) }
func u64(v uint64) string { return strconv.FormatUint(v, 10) }

// payDue reports whether the courier is owed pay for the order: it was
// picked up (delivered, or failed at a dropoff), and whether the tip share
// is owed too (delivered only).
func payDue(s *crdt.OrderState) (due, tip bool) {
	if s.Place.Fulfilment != crdt.FulfilDelivery || s.Holder.IsZero() || s.Pickup.Status != crdt.TaskDone {
		return false, false
	}
	return true, s.Status == crdt.StatusDelivered
}

// coursePay is the courier's pay for an order under its rules, or ok false.
func (x *exporter) coursePay(s *crdt.OrderState) (Pay, bool) {
	due, tip := payDue(s)
	r := x.rulesOf(s)
	if !due || r == nil {
		return Pay{}, false
	}
	tipCents := int64(0)
	if tip {
		tipCents = s.Place.Totals.TipCents
	}
	p, err := r.CourierPay(s.Place.DistanceM, max(len(s.Place.Dropoffs), 1), s.Place.Totals.DeliveryCents, tipCents)
	return p, err == nil
}

// OrdersHeader is the header of ExportOrders (SPEC.md §16.10.1).
var OrdersHeader = []string{"day", "placed_at", "order", "kind", "status", "reason", "restaurant", "restaurant_name",
	"customer", "slot_start", "slot_end", "items_cents", "delivery_cents", "tip_cents", "tax_cents", "total_cents",
	"platform_fee_cents", "restaurant_net_cents", "rules_version", "distance_m", "courier", "courier_name",
	"courier_pay_cents", "restaurant_stars", "courier_stars", "repriced"}

// ExportOrders lists one row per order (SPEC.md §16.10.1).
func ExportOrders(coop *crdt.CoopState, orders []*crdt.OrderState, f Filter) (*Table, error) {
	x, err := newExporter(coop)
	if err != nil {
		return nil, err
	}
	sel, err := x.selected(orders, f)
	if err != nil {
		return nil, err
	}
	t := &Table{Header: OrdersHeader}
	for _, s := range sel {
		p := &s.Place
		fee, net, repriced := "", "", ""
		r := x.rulesOf(s)
		if r != nil || (p.RulesVersion == 0 && p.Fulfilment == crdt.FulfilCollection) {
			if rc, err := RepriceWith(r, s); err == nil {
				fee, net = i64(rc.PlatformFeeCents), i64(rc.RestaurantNetCents)
				repriced = "no"
				if rc.Matches() {
					repriced = "yes"
				}
			}
		}
		pay := ""
		if pp, ok := x.coursePay(s); ok {
			pay = i64(pp.TotalCents)
		}
		rs, cs := "", ""
		if s.Rating != nil {
			if s.Rating.RestaurantStars != 0 {
				rs = u64(uint64(s.Rating.RestaurantStars))
			}
			if s.Rating.CourierStars != 0 {
				cs = u64(uint64(s.Rating.CourierStars))
			}
		}
		t.Rows = append(t.Rows, []string{x.day(s), x.when(s.PlacedAt), s.ID.String(), kindOf(s), s.Status.String(), s.Reason,
			key(s.Restaurant), x.name(s.Restaurant), key(s.Customer), x.when(p.Slot.Start), x.when(p.Slot.End),
			i64(p.Totals.ItemsCents), i64(p.Totals.DeliveryCents), i64(p.Totals.TipCents), i64(p.Totals.TaxCents),
			i64(p.Totals.TotalCents), fee, net, u64(p.RulesVersion), u64(uint64(p.DistanceM)), key(s.Holder),
			x.name(s.Holder), pay, rs, cs, repriced})
	}
	return t, nil
}

// DeliveriesHeader is the header of ExportDeliveries (SPEC.md §16.10.2).
var DeliveriesHeader = []string{"day", "order", "kind", "stop", "courier", "courier_name", "pickup_status",
	"picked_up_at", "status", "started_at", "done_at", "fail_reason", "recipient", "area_lat_e6", "area_lon_e6",
	"packages", "weight_g", "ref", "distance_m"}

// ExportDeliveries lists one row per dropoff of every accepted delivery
// order: one for a food order, one per stop for a parcel delivery
// (SPEC.md §16.10.2).
func ExportDeliveries(coop *crdt.CoopState, orders []*crdt.OrderState, f Filter) (*Table, error) {
	x, err := newExporter(coop)
	if err != nil {
		return nil, err
	}
	sel, err := x.selected(orders, f)
	if err != nil {
		return nil, err
	}
	t := &Table{Header: DeliveriesHeader}
	for _, s := range sel {
		p := &s.Place
		if p.Fulfilment != crdt.FulfilDelivery || s.Pickup.Status == crdt.TaskNone {
			continue
		}
		row := func(stop int, task crdt.Task, proof *crdt.Proof, area crdt.Position, packages, weight uint32, ref string) {
			recipient := ""
			if proof != nil {
				recipient = proof.Recipient
			}
			t.Rows = append(t.Rows, []string{x.day(s), s.ID.String(), kindOf(s), strconv.Itoa(stop), key(s.Holder),
				x.name(s.Holder), s.Pickup.Status.String(), x.when(s.Pickup.DoneAt), task.Status.String(),
				x.when(task.StartedAt), x.when(task.DoneAt), task.FailReason, recipient,
				i64(int64(area.LatE6)), i64(int64(area.LonE6)), u64(uint64(packages)), u64(uint64(weight)), ref,
				u64(uint64(p.DistanceM))})
		}
		if !p.Parcel {
			row(1, s.Dropoff, s.Proof, p.DropoffArea, 0, 0, "")
			continue
		}
		for i, st := range s.Stops {
			d := p.Dropoffs[i]
			row(i+1, st.Task, st.Proof, d.Area, d.Packages, d.WeightG, d.Ref)
		}
	}
	return t, nil
}

// PayHeader is the header of ExportCourierPay (SPEC.md §16.10.3).
var PayHeader = []string{"day", "order", "kind", "status", "courier", "courier_name", "rules_version",
	"distance_m", "dropoffs", "delivery_cents", "tip_cents", "base_cents", "distance_cents", "dropoffs_cents",
	"fee_share_cents", "tip_share_cents", "top_up_cents", "pay_cents"}

// ExportCourierPay lists the pay of every job a courier is owed for: the
// orders it picked up, delivered or failed at a dropoff, by the pay rule of
// the rules version each order was priced with (SPEC.md §16.10.3).
func ExportCourierPay(coop *crdt.CoopState, orders []*crdt.OrderState, f Filter) (*Table, error) {
	x, err := newExporter(coop)
	if err != nil {
		return nil, err
	}
	sel, err := x.selected(orders, f)
	if err != nil {
		return nil, err
	}
	t := &Table{Header: PayHeader}
	for _, s := range sel {
		p, ok := x.coursePay(s)
		if !ok {
			continue
		}
		_, tip := payDue(s)
		tipCents := int64(0)
		if tip {
			tipCents = s.Place.Totals.TipCents
		}
		t.Rows = append(t.Rows, []string{x.day(s), s.ID.String(), kindOf(s), s.Status.String(), key(s.Holder),
			x.name(s.Holder), u64(s.Place.RulesVersion), u64(uint64(s.Place.DistanceM)),
			strconv.Itoa(max(len(s.Place.Dropoffs), 1)), i64(s.Place.Totals.DeliveryCents), i64(tipCents),
			i64(p.BaseCents), i64(p.DistanceCents), i64(p.DropoffsCents), i64(p.FeeCents), i64(p.TipCents),
			i64(p.TopUpCents), i64(p.TotalCents)})
	}
	return t, nil
}

// PaySummaryHeader is the header of ExportPaySummary (SPEC.md §16.10.4).
var PaySummaryHeader = []string{"day", "courier", "courier_name", "jobs", "distance_m", "tip_share_cents", "pay_cents"}

// ExportPaySummary sums ExportCourierPay per day and courier, sorted by day
// then courier key (SPEC.md §16.10.4).
func ExportPaySummary(coop *crdt.CoopState, orders []*crdt.OrderState, f Filter) (*Table, error) {
	x, err := newExporter(coop)
	if err != nil {
		return nil, err
	}
	sel, err := x.selected(orders, f)
	if err != nil {
		return nil, err
	}
	type group struct {
		day     string
		courier crdt.PubKey
	}
	type total struct{ jobs, distance, tips, pay int64 }
	totals := map[group]*total{}
	var groups []group
	for _, s := range sel {
		p, ok := x.coursePay(s)
		if !ok {
			continue
		}
		g := group{x.day(s), s.Holder}
		t, seen := totals[g]
		if !seen {
			t = &total{}
			totals[g] = t
			groups = append(groups, g)
		}
		t.jobs++
		t.distance += int64(s.Place.DistanceM)
		t.tips, _ = add(t.tips, p.TipCents)
		t.pay, _ = add(t.pay, p.TotalCents)
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].day != groups[j].day {
			return groups[i].day < groups[j].day
		}
		return crdt.ID(groups[i].courier).Compare(crdt.ID(groups[j].courier)) < 0
	})
	tab := &Table{Header: PaySummaryHeader}
	for _, g := range groups {
		t := totals[g]
		tab.Rows = append(tab.Rows, []string{g.day, key(g.courier), x.name(g.courier), i64(t.jobs), i64(t.distance), i64(t.tips), i64(t.pay)})
	}
	return tab, nil
}

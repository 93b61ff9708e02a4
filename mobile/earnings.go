package mobile

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// A courier's earnings, read from the node's pay exports: the coop's pay rule
// applied to the jobs this phone carried (SPEC.md §16.3.7, §16.10).

type earningsRequest struct {
	// Day is a local date in the coop's time zone, "2006-01-02": the day
	// of a job is the local date of its order's slot start, else of its
	// placing (SPEC.md §16.10). Empty: every day this phone holds.
	Day string `json:"day"`
}

// earningLine is one job's pay.
type earningLine struct {
	Order         string `json:"order"`
	Day           string `json:"day"`
	Status        string `json:"status"`                 // delivered, or picked_up/failed (no tip share)
	DeliveredAt   int64  `json:"delivered_at,omitempty"` // ms
	Basis         string `json:"basis"`                  // "rules" or "order_totals" (fallback)
	RulesVersion  uint64 `json:"rules_version,omitempty"`
	DistanceM     uint32 `json:"distance_m"`
	DeliveryCents int64  `json:"delivery_cents"` // the order's delivery fee
	TipCents      int64  `json:"tip_cents"`      // the order's tip, once delivered
	// Pay is the courier's pay, part by part (SPEC.md §16.3.7); for the
	// fallback: fee_cents = the delivery fee, tip_cents = the tip.
	Pay market.Pay `json:"pay"`

	ref int64 // reference time, for sorting
}

// earningDay sums a day's jobs.
type earningDay struct {
	Day           string `json:"day"`
	Jobs          int    `json:"jobs"`
	DistanceM     int64  `json:"distance_m"`
	TipShareCents int64  `json:"tip_share_cents"`
	PayCents      int64  `json:"pay_cents"`
}

type earningsResult struct {
	Currency string `json:"currency"`
	Day      string `json:"day,omitempty"`
	// RulesPublished: the coop published pricing rules (SPEC.md §16.2).
	RulesPublished bool `json:"rules_published"`
	// Provisional: some job was priced without rules (basis
	// "order_totals"), so its pay is the order's fee and tip, not the
	// coop's pay rule.
	Provisional   bool          `json:"provisional"`
	Jobs          int           `json:"jobs"`
	DistanceM     int64         `json:"distance_m"`
	TipShareCents int64         `json:"tip_share_cents"`
	PayCents      int64         `json:"pay_cents"`
	Days          []earningDay  `json:"days"`
	Orders        []earningLine `json:"orders"`
}

// Earnings is what the coop owes this courier (API.md, "Earnings"): the
// coop's own pay tables (node.Export "pay" and "pay-summary", SPEC.md
// §16.10.3-4): every job it picked up, by the pay rule of the rules
// version the order was priced with. A job priced without rules (the coop
// had published none) counts its order's delivery fee, plus the tip once
// delivered (basis "order_totals", provisional). Request: {"day":"2026-11-21"}.
func (m *Node) Earnings(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req earningsRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		if req.Day != "" {
			if _, err := time.Parse("2006-01-02", req.Day); err != nil {
				return nil, errorf(node.ErrBadArgument, "day %q: want YYYY-MM-DD", req.Day)
			}
		}
		res := earningsResult{Day: req.Day, Days: []earningDay{}, Orders: []earningLine{}}
		cs, err := m.n.CoopState(ctx)
		if err != nil {
			return nil, err
		}
		res.Currency = cs.Currency
		_, rerr := m.n.Rules(ctx, 0)
		res.RulesPublished = rerr == nil
		me, ok := m.n.MemberKey(ctx)
		if !ok {
			return res, nil
		}
		orders, err := m.n.Orders(ctx, node.OrderFilter{Party: me})
		if err != nil {
			return nil, err
		}
		byID := map[crdt.ID]*crdt.OrderState{}
		for _, s := range orders {
			byID[s.ID] = s
		}
		filter := market.Filter{Courier: me, Day: req.Day}
		pay, err := m.n.Export(ctx, "pay", filter)
		if err != nil {
			return nil, marketError(err)
		}
		summary, err := m.n.Export(ctx, "pay-summary", filter)
		if err != nil {
			return nil, marketError(err)
		}
		days := map[string]*earningDay{}
		var dayList []string
		dayOf := func(d string) *earningDay {
			if days[d] == nil {
				days[d] = &earningDay{Day: d}
				dayList = append(dayList, d)
			}
			return days[d]
		}
		// 1. the coop's pay rule
		priced := map[crdt.ID]bool{}
		rows, err := payRows(pay)
		if err != nil {
			return nil, err
		}
		for _, l := range rows {
			id, _ := crdt.ParseID(l.Order)
			priced[id] = true
			if s := byID[id]; s != nil {
				l.ref = market.RefTime(&s.Place, s.PlacedAt).UnixMilli()
				if s.Status == crdt.StatusDelivered {
					l.DeliveredAt = s.Dropoff.DoneAt
				}
			}
			res.Orders = append(res.Orders, l)
		}
		if err := summaryRows(summary, func(d earningDay) { *dayOf(d.Day) = d }); err != nil {
			return nil, err
		}
		// 2. the fallback: jobs owed for, priced without rules
		loc, err := market.LoadLocation(cs.Timezone)
		if err != nil {
			loc = time.UTC
		}
		for _, s := range orders {
			if priced[s.ID] || s.Holder != me || s.Status == crdt.StatusInvalid ||
				s.Place.Fulfilment != crdt.FulfilDelivery || s.Pickup.Status != crdt.TaskDone {
				continue
			}
			ref := market.RefTime(&s.Place, s.PlacedAt)
			day := ref.In(loc).Format("2006-01-02")
			if req.Day != "" && day != req.Day {
				continue
			}
			delivered := s.Status == crdt.StatusDelivered
			tip := int64(0)
			if delivered {
				tip = s.Place.Totals.TipCents
			}
			l := earningLine{Order: s.ID.String(), Day: day, Status: s.Status.String(), Basis: basisOrderTotals,
				RulesVersion: s.Place.RulesVersion, DistanceM: s.Place.DistanceM, DeliveryCents: s.Place.Totals.DeliveryCents,
				TipCents: tip, Pay: fallbackPay(s, tip), ref: ref.UnixMilli()}
			if delivered {
				l.DeliveredAt = s.Dropoff.DoneAt
			}
			if l.DistanceM == 0 {
				l.DistanceM = uint32(orderDistance(s))
			}
			res.Orders = append(res.Orders, l)
			res.Provisional = true
			d := dayOf(day)
			d.Jobs++
			d.DistanceM += int64(l.DistanceM)
			d.TipShareCents += tip
			d.PayCents += l.Pay.TotalCents
		}
		sort.SliceStable(res.Orders, func(i, j int) bool {
			a, b := res.Orders[i], res.Orders[j]
			if a.Day != b.Day {
				return a.Day < b.Day
			}
			if a.ref != b.ref {
				return a.ref < b.ref
			}
			return a.Order < b.Order
		})
		sort.Strings(dayList)
		for _, d := range dayList {
			v := *days[d]
			res.Days = append(res.Days, v)
			res.Jobs += v.Jobs
			res.DistanceM += v.DistanceM
			res.TipShareCents += v.TipShareCents
			res.PayCents += v.PayCents
		}
		return res, nil
	})
}

// column finds a column of an export table.
func column(t *market.Table, name string) (int, error) {
	for i, h := range t.Header {
		if h == name {
			return i, nil
		}
	}
	return 0, errorf(errInternal, "export has no column %q", name)
}

// tableRows reads the named columns of each row, as text and as
// integers (a text column reads as 0), in the order of cols.
func tableRows(t *market.Table, cols []string, row func(cells []string, ints []int64) error) error {
	idx := make([]int, len(cols))
	for i, c := range cols {
		k, err := column(t, c)
		if err != nil {
			return err
		}
		idx[i] = k
	}
	for _, r := range t.Rows {
		cells := make([]string, len(cols))
		ints := make([]int64, len(cols))
		for i, k := range idx {
			if k >= len(r) {
				return errorf(errInternal, "export row shorter than its header")
			}
			cells[i] = r[k]
			ints[i], _ = strconv.ParseInt(r[k], 10, 64) // text columns read as 0
		}
		if err := row(cells, ints); err != nil {
			return err
		}
	}
	return nil
}

// payRows reads ExportCourierPay (SPEC.md §16.10.3).
func payRows(t *market.Table) ([]earningLine, error) {
	var out []earningLine
	cols := []string{"day", "order", "status", "rules_version", "distance_m", "delivery_cents", "tip_cents",
		"base_cents", "distance_cents", "dropoffs_cents", "fee_share_cents", "tip_share_cents", "top_up_cents", "pay_cents"}
	err := tableRows(t, cols, func(c []string, v []int64) error {
		out = append(out, earningLine{Day: c[0], Order: c[1], Status: c[2], Basis: basisRules, RulesVersion: uint64(v[3]),
			DistanceM: uint32(v[4]), DeliveryCents: v[5], TipCents: v[6],
			Pay: market.Pay{BaseCents: v[7], DistanceCents: v[8], DropoffsCents: v[9], FeeCents: v[10], TipCents: v[11],
				TopUpCents: v[12], TotalCents: v[13]}})
		return nil
	})
	return out, err
}

// summaryRows reads ExportPaySummary (SPEC.md §16.10.4).
func summaryRows(t *market.Table, day func(earningDay)) error {
	cols := []string{"day", "jobs", "distance_m", "tip_share_cents", "pay_cents"}
	return tableRows(t, cols, func(c []string, v []int64) error {
		day(earningDay{Day: c[0], Jobs: int(v[1]), DistanceM: v[2], TipShareCents: v[3], PayCents: v[4]})
		return nil
	})
}

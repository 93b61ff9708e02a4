package market

import (
	"fmt"
	"sort"

	"github.com/coopnode/coopnode/crdt"
)

// The platform fee, courier pay and taxes (SPEC.md §16.3.6–§16.3.8).

// PlatformFee is what the cooperative keeps from a restaurant's order:
// the items total at the delivery or collection rate, rounded half up, plus
// the flat fee. Parcel deliveries pay the delivery fee only: 0. A nil Rules
// (no rule set) gives 0.
func (r *Rules) PlatformFee(fulfilment crdt.Fulfilment, parcel bool, itemsCents int64) (int64, error) {
	if r == nil || parcel {
		return 0, nil
	}
	bps := r.Set.Fees.DeliveryBps
	if fulfilment == crdt.FulfilCollection {
		bps = r.Set.Fees.CollectionBps
	}
	p, ok := bpsOf(itemsCents, bps)
	if ok {
		p, ok = add(p, r.Set.Fees.FlatCents)
	}
	if !ok {
		return 0, fmt.Errorf("%w: platform fee", ErrAmountRange)
	}
	return p, nil
}

// Pay is a courier's pay for one job, part by part (SPEC.md §16.3.7).
type Pay struct {
	BaseCents     int64 `json:"base_cents"`
	DistanceCents int64 `json:"distance_cents"` // per km, pro rata to the metre
	DropoffsCents int64 `json:"dropoffs_cents"` // per dropoff after the first
	FeeCents      int64 `json:"fee_cents"`      // share of the delivery fee
	TipCents      int64 `json:"tip_cents"`      // the whole tip (SPEC.md §20.5)
	TopUpCents    int64 `json:"top_up_cents"`   // up to the minimum
	TotalCents    int64 `json:"total_cents"`    // the job's pay and the tip
}

// CoopCents is the part of the pay the coop owes: everything but the tip,
// which whoever took the customer's money owes on (SPEC.md §20.5).
func (p Pay) CoopCents() int64 { return p.TotalCents - p.TipCents }

// CourierPay computes the pay of a job: base + per km × metres / 1000 +
// per dropoff × (dropoffs − 1) + fee share, each rounded half up, topped
// up to the minimum; then the whole tip on top. The tip goes wholly to the
// courier whatever the rule's tip_bps (obsolete, ignored) and never counts
// towards the minimum (SPEC.md §16.3.7, §20.5).
func (r *Rules) CourierPay(distanceM uint32, dropoffs int, feeCents, tipCents int64) (Pay, error) {
	if r == nil {
		return Pay{}, nil
	}
	pr := r.Set.Pay
	var p Pay
	var ok1, ok2, ok3 bool
	p.BaseCents = pr.BaseCents
	km, ok1 := mul(pr.PerKmCents, int64(distanceM))
	p.DistanceCents = divHalfUp(km, 1000)
	p.DropoffsCents, ok2 = mul(pr.PerDropoffCents, int64(max(dropoffs-1, 0)))
	p.FeeCents, ok3 = bpsOf(feeCents, pr.FeeBps)
	p.TipCents = tipCents
	t, ok := sum(p.BaseCents, p.DistanceCents, p.DropoffsCents, p.FeeCents)
	if !(ok && ok1 && ok2 && ok3) || tipCents < 0 {
		return Pay{}, fmt.Errorf("%w: courier pay", ErrAmountRange)
	}
	if t < pr.MinCents {
		p.TopUpCents = pr.MinCents - t
		t = pr.MinCents
	}
	if p.TotalCents, ok = add(t, p.TipCents); !ok {
		return Pay{}, fmt.Errorf("%w: courier pay", ErrAmountRange)
	}
	return p, nil
}

// TaxLine is the tax included in one category's amounts.
type TaxLine struct {
	Category   string `json:"category"`
	RateBps    uint32 `json:"rate_bps"`
	GrossCents int64  `json:"gross_cents"` // tax included
	TaxCents   int64  `json:"tax_cents"`
	// Unknown: the category has no rate in the rule set (taxed at 0).
	Unknown bool `json:"unknown,omitempty"`
}

// TaxRate returns a category's rate; ok is false when the rule set has
// none (or r is nil).
func (r *Rules) TaxRate(category string) (uint32, bool) {
	if r == nil {
		return 0, false
	}
	for _, t := range r.Set.Taxes {
		if t.Category == category {
			return t.RateBps, true
		}
	}
	return 0, false
}

// Taxes computes the tax included in tax-inclusive amounts, per category
// (SPEC.md §16.3.8): the gross amounts of a category are summed first,
// then tax = gross × rate / (10000 + rate), rounded half up. Lines are
// sorted by category (bytewise); the total is their sum.
func (r *Rules) Taxes(gross map[string]int64) ([]TaxLine, int64, error) {
	cats := make([]string, 0, len(gross))
	for c := range gross {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	var lines []TaxLine
	var total int64
	for _, c := range cats {
		rate, known := r.TaxRate(c)
		g := gross[c]
		p, ok := mul(g, int64(rate))
		if !ok {
			return nil, 0, fmt.Errorf("%w: tax of %q", ErrAmountRange, c)
		}
		l := TaxLine{Category: c, RateBps: rate, GrossCents: g, TaxCents: divHalfUp(p, 10_000+int64(rate)), Unknown: !known}
		if total, ok = add(total, l.TaxCents); !ok {
			return nil, 0, fmt.Errorf("%w: taxes", ErrAmountRange)
		}
		lines = append(lines, l)
	}
	return lines, total, nil
}

// addGross adds an amount to a category's gross, checked.
func addGross(gross map[string]int64, cat string, cents int64) bool {
	v, ok := add(gross[cat], cents)
	gross[cat] = v
	return ok
}

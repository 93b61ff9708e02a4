package market

import (
	"fmt"

	"github.com/coopnode/coopnode/crdt"
)

// Re-pricing (SPEC.md §16.3.9): any node recomputes any order's amounts
// from its recorded order.place and the rules version it names, and shows
// how they were derived and whether they match what was recorded.

// Recomputed is an order's amounts recomputed from its record.
type Recomputed struct {
	Order        crdt.ID      `json:"order"`
	RulesVersion uint64       `json:"rules_version"`
	Job          *Job         `json:"job,omitempty"`      // the pricing inputs, for deliveries
	Delivery     *Explanation `json:"delivery,omitempty"` // how the fee was derived

	ItemsCents         int64     `json:"items_cents"`
	DeliveryCents      int64     `json:"delivery_cents"`
	TipCents           int64     `json:"tip_cents"`
	Taxes              []TaxLine `json:"taxes,omitempty"`
	TaxCents           int64     `json:"tax_cents"`
	TotalCents         int64     `json:"total_cents"`
	PlatformFeeCents   int64     `json:"platform_fee_cents"`
	RestaurantNetCents int64     `json:"restaurant_net_cents"`
	// Pay is the courier's pay for the job from the recorded delivery fee
	// and tip (zero for collection orders).
	Pay Pay `json:"pay"`
	// Mismatches lists every recorded amount that differs from its
	// recomputation, e.g. "delivery: recorded 4.50, recomputed 4.70".
	Mismatches []string `json:"mismatches,omitempty"`
}

// Matches reports whether every recorded amount was recomputed exactly.
func (r *Recomputed) Matches() bool { return len(r.Mismatches) == 0 }

// Reprice recomputes a recorded order with the coop's rules of the version
// it names (none needed for a collection order that names none).
func Reprice(coop *crdt.CoopState, s *crdt.OrderState) (*Recomputed, error) {
	var rules *Rules
	if s.Place.RulesVersion != 0 || s.Place.Fulfilment == crdt.FulfilDelivery {
		var err error
		if s.Place.RulesVersion == 0 {
			return nil, fmt.Errorf("%w: the delivery order names no rules version", ErrUnknownRulesVersion)
		}
		if rules, err = RulesFor(coop, s.Place.RulesVersion); err != nil {
			return nil, err
		}
	}
	return RepriceWith(rules, s)
}

// JobOf returns the pricing inputs recorded in a delivery order.
func JobOf(rules *Rules, s *crdt.OrderState) Job {
	p := &s.Place
	j := Job{Target: crdt.TargetFood, DistanceM: p.DistanceM, PickupZones: rules.ZonesAt(p.Pickup), At: RefTime(p, s.PlacedAt)}
	if p.Parcel {
		j.Target = crdt.TargetParcel
		for _, d := range p.Dropoffs {
			j.DropoffZones = append(j.DropoffZones, d.Zones)
			j.Packages += uint64(d.Packages)
			j.WeightG += uint64(d.WeightG)
		}
	} else {
		j.DropoffZones = [][]string{p.DropoffZones}
		for _, l := range p.Items {
			j.ItemsCents, _ = add(j.ItemsCents, l.TotalCents)
		}
	}
	return j
}

// RepriceWith recomputes a recorded order with the given compiled rules
// (nil: no rules, for a collection order).
func RepriceWith(rules *Rules, s *crdt.OrderState) (*Recomputed, error) {
	p := &s.Place
	out := &Recomputed{Order: s.ID, TipCents: p.Totals.TipCents}
	if rules != nil {
		out.RulesVersion = rules.Version()
	}
	mismatch := func(what string, recorded, got int64) {
		if recorded != got {
			out.Mismatches = append(out.Mismatches, fmt.Sprintf("%s: recorded %s, recomputed %s", what, Cents(recorded), Cents(got)))
		}
	}
	gross := map[string]int64{}
	for i, l := range p.Items {
		if l.UnitCents < 0 || l.UnitCents > MaxCents || l.Quantity > MaxQuantity {
			return nil, fmt.Errorf("%w: line %d", ErrAmountRange, i+1)
		}
		t, _ := mul(l.UnitCents, int64(l.Quantity))
		mismatch(fmt.Sprintf("line %d total", i+1), l.TotalCents, t)
		var ok bool
		if out.ItemsCents, ok = add(out.ItemsCents, t); !ok || !addGross(gross, l.TaxCategory, t) {
			return nil, fmt.Errorf("%w: items", ErrAmountRange)
		}
	}
	mismatch("items", p.Totals.ItemsCents, out.ItemsCents)
	if p.Fulfilment == crdt.FulfilDelivery {
		if rules == nil {
			return nil, fmt.Errorf("%w: a delivery needs its rules", ErrNoRules)
		}
		j := JobOf(rules, s)
		j.ItemsCents = out.ItemsCents
		out.Job = &j
		e, err := rules.DeliveryFee(j)
		out.Delivery = e
		if err != nil {
			return out, err
		}
		out.DeliveryCents = e.FeeCents
		if rules.Set.DeliveryTax != "" && e.FeeCents != 0 && !addGross(gross, rules.Set.DeliveryTax, e.FeeCents) {
			return nil, fmt.Errorf("%w: taxes", ErrAmountRange)
		}
	}
	mismatch("delivery", p.Totals.DeliveryCents, out.DeliveryCents)
	var err error
	if out.Taxes, out.TaxCents, err = rules.Taxes(gross); err != nil {
		return nil, err
	}
	mismatch("tax", p.Totals.TaxCents, out.TaxCents)
	var ok bool
	if out.TotalCents, ok = sum(out.ItemsCents, out.DeliveryCents, out.TipCents); !ok {
		return nil, fmt.Errorf("%w: total", ErrAmountRange)
	}
	mismatch("total", p.Totals.TotalCents, out.TotalCents)
	if out.PlatformFeeCents, err = rules.PlatformFee(p.Fulfilment, p.Parcel, out.ItemsCents); err != nil {
		return nil, err
	}
	out.RestaurantNetCents = out.ItemsCents - out.PlatformFeeCents
	if p.Fulfilment == crdt.FulfilDelivery {
		n := max(len(p.Dropoffs), 1)
		if out.Pay, err = rules.CourierPay(p.DistanceM, n, p.Totals.DeliveryCents, p.Totals.TipCents); err != nil {
			return nil, err
		}
	}
	return out, nil
}

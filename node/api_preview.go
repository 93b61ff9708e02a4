package node

import (
	"context"
	"fmt"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// PreviewRequest is a sample delivery to price: what a member sees on the
// pricing screen before anyone orders (issue 15). Rules is a draft rule set
// to try (checked like any rule set, never published); nil prices with the
// rules in force.
type PreviewRequest struct {
	Rules  *crdt.RulesSet `json:"rules,omitempty"`
	Target uint8          `json:"target"` // crdt.TargetFood or crdt.TargetParcel
	// DistanceM is the straight-line distance; the rules' detour makes it
	// the billing distance (SPEC.md §16.3.2).
	DistanceM   uint32 `json:"distance_m"`
	PickupZone  string `json:"pickup_zone,omitempty"`
	DropoffZone string `json:"dropoff_zone,omitempty"`
	ItemsCents  int64  `json:"items_cents,omitempty"`
	TipCents    int64  `json:"tip_cents,omitempty"`
	WeightG     uint64 `json:"weight_g,omitempty"`
	Packages    uint64 `json:"packages,omitempty"`
}

// Preview is what the sample delivery costs and why: the delivery fee with
// its explanation (every rule tried), the courier's pay part by part and
// the platform fee, under the rule set's version.
type Preview struct {
	Version          uint64              `json:"version"`
	BillingM         uint32              `json:"billing_m"`
	Explanation      *market.Explanation `json:"explanation"`
	FeeCents         int64               `json:"fee_cents"`
	Pay              market.Pay          `json:"pay"`
	PlatformFeeCents int64               `json:"platform_fee_cents"`
}

// PreviewPrice prices a sample delivery at the node's time with the rules
// in force or a draft. It signs nothing. No rule matching is refused with
// no_rule_matched and the explanation; a bad draft with bad_rules.
func (n *Node) PreviewPrice(ctx context.Context, req PreviewRequest) (Preview, error) {
	var out Preview
	if req.Target != crdt.TargetFood && req.Target != crdt.TargetParcel {
		return out, fmt.Errorf("%w: target must be 1 (food) or 2 (parcel)", ErrBadArgument)
	}
	if req.ItemsCents < 0 || req.TipCents < 0 {
		return out, fmt.Errorf("%w: amounts must be zero or more", ErrBadArgument)
	}
	err := n.do(ctx, func() error {
		coop := n.replica.CoopView(n.cfg.coop)
		if coop == nil {
			return ErrNoCoop
		}
		var rules *market.Rules
		var err error
		if req.Rules != nil {
			rules, err = market.Compile(req.Rules, coop.Timezone)
		} else {
			rules, err = market.RulesFor(coop, 0)
		}
		if err != nil {
			return refusal("preview", err)
		}
		billing, err := rules.BillingDistance(uint64(req.DistanceM))
		if err != nil {
			return refusal("preview", err)
		}
		job := market.Job{Target: req.Target, DistanceM: billing, DropoffZones: [][]string{zoneList(req.DropoffZone)},
			PickupZones: zoneList(req.PickupZone), ItemsCents: req.ItemsCents, WeightG: req.WeightG, Packages: req.Packages, At: n.cfg.clock.Now()}
		ex, err := rules.DeliveryFee(job)
		if err != nil {
			return refusal("preview", err)
		}
		pay, err := rules.CourierPay(billing, 1, ex.FeeCents, req.TipCents)
		if err != nil {
			return refusal("preview", err)
		}
		pf, err := rules.PlatformFee(crdt.FulfilDelivery, req.Target == crdt.TargetParcel, req.ItemsCents)
		if err != nil {
			return refusal("preview", err)
		}
		out = Preview{Version: rules.Version(), BillingM: billing, Explanation: ex, FeeCents: ex.FeeCents, Pay: pay, PlatformFeeCents: pf}
		return nil
	})
	return out, err
}

func zoneList(z string) []string {
	if z == "" {
		return nil
	}
	return []string{z}
}

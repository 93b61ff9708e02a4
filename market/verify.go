package market

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// VerifyOrder is the restaurant's check of a received food order before it
// accepts it, by hand or automatically (CatalogProfile.AutoAccept;
// SPEC.md §16.6.4). It runs the checks of Checkout as of the order's
// placing time, on the restaurant's current profile and menu and the given
// rules — which must be the version the order names — with the recorded
// distance and dropoff zones in place of the exact address (sealed to the
// restaurant), counting for the order limit only the orders placed before
// it; then it compares every recorded line and amount with the result.
// When the restaurant opened the sealed personal data, exact is the exact
// dropoff: the distance, zones and public area are then recomputed from it
// and must equal the recorded ones. It returns the restaurant's own quote,
// or the refusal.
func VerifyOrder(s *crdt.OrderState, ctx Context, exact *crdt.Position) (*Quote, error) {
	p := &s.Place
	if p.Parcel {
		return nil, refuse(ErrBadParcel, "a parcel delivery is priced by QuoteParcel and needs no acceptance")
	}
	if ctx.Rules != nil && p.RulesVersion != ctx.Rules.Version() {
		return nil, refuse(ErrPriceMismatch, "priced with rules v%d, the restaurant has v%d", p.RulesVersion, ctx.Rules.Version())
	}
	cart := Cart{Restaurant: s.Restaurant, Fulfilment: p.Fulfilment, Payment: p.Payment, TipCents: p.Totals.TipCents, Slot: p.Slot}
	for _, l := range p.Items {
		cart.Items = append(cart.Items, CartItem{Product: l.Product, Quantity: l.Quantity, Options: l.Options})
	}
	ctx.Now = time.UnixMilli(s.PlacedAt)
	var earlier []*crdt.OrderState
	for _, o := range ctx.Orders {
		if o != nil && o.ID != s.ID && (o.PlacedAt < s.PlacedAt || o.PlacedAt == s.PlacedAt && o.ID.Compare(s.ID) < 0) {
			earlier = append(earlier, o)
		}
	}
	ctx.Orders = earlier
	q, err := checkout(cart, ctx, func(q *Quote) error {
		if exact != nil {
			if err := checkDropoff(ctx, *exact, q); err != nil {
				return err
			}
			if q.DistanceM != p.DistanceM || q.DropoffArea != p.DropoffArea || strings.Join(q.DropoffZones, "\x00") != strings.Join(p.DropoffZones, "\x00") {
				return refuse(ErrPriceMismatch, "the exact address gives %d m, area %v, zones [%s]; recorded %d m, area %v, zones [%s]",
					q.DistanceM, q.DropoffArea, strings.Join(q.DropoffZones, ", "), p.DistanceM, p.DropoffArea, strings.Join(p.DropoffZones, ", "))
			}
			return nil
		}
		if zone := ctx.Rules.ServiceZone(ctx.Profile); zone != "" && !has(p.DropoffZones, zone) {
			return refuse(ErrOutsideZone, "the recorded dropoff zones [%s] do not include %q", strings.Join(p.DropoffZones, ", "), zone)
		}
		q.DistanceM, q.DropoffZones, q.DropoffArea = p.DistanceM, p.DropoffZones, p.DropoffArea
		return nil
	})
	if err != nil {
		return nil, err
	}
	var diffs []string
	diff := func(what string, recorded, got int64) {
		if recorded != got {
			diffs = append(diffs, fmt.Sprintf("%s: recorded %s, expected %s", what, Cents(recorded), Cents(got)))
		}
	}
	for i, l := range q.Lines {
		diff(fmt.Sprintf("line %d unit", i+1), p.Items[i].UnitCents, l.UnitCents)
		diff(fmt.Sprintf("line %d total", i+1), p.Items[i].TotalCents, l.TotalCents)
	}
	diff("items", p.Totals.ItemsCents, q.ItemsCents)
	diff("delivery", p.Totals.DeliveryCents, q.DeliveryCents)
	diff("tax", p.Totals.TaxCents, q.TaxCents)
	diff("total", p.Totals.TotalCents, q.TotalCents)
	if len(diffs) > 0 {
		r := refuse(ErrPriceMismatch, "%s", strings.Join(diffs, "; "))
		r.Explanation = q.Delivery
		return nil, r
	}
	return q, nil
}

// AutoAction is what a restaurant's node does on its own with a placed
// order when its profile asks for auto-accept (SPEC.md §16.6.4, §17).
type AutoAction uint8

// Auto-accept outcomes.
const (
	// AutoLeave leaves the order to the staff: auto-accept is off, the
	// order is not a placed food order, or what is wrong with it is not
	// for a machine to refuse (a price that does not match, say).
	AutoLeave AutoAction = iota
	// AutoAccept accepts the order with Decision.PrepMinutes.
	AutoAccept
	// AutoRefuse refuses the order with Decision.Reason, one of the
	// order.refuse reasons.
	AutoRefuse
)

// AutoDecision is the decision of AutoAcceptOrder.
type AutoDecision struct {
	Action AutoAction
	// PrepMinutes is the preparation time announced with an accept: the
	// profile's, with the rush extra when the kitchen is in a rush.
	PrepMinutes uint32
	// Reason is the order.refuse reason of a refusal (crdt.ReasonSoldOut,
	// crdt.ReasonRushHour or crdt.ReasonClosing), or, for AutoLeave, the
	// code (Code) of what VerifyOrder found, "" when there was nothing to
	// decide.
	Reason string
}

// AutoAcceptOrder decides what a restaurant's node does by itself with
// order s (SPEC.md §16.6.4): when ctx.Profile asks for auto-accept, a placed
// food order that VerifyOrder finds sound is accepted; one with an item
// sold out since, a full time window, or placed while closed is refused with
// the matching reason; anything else is left to the staff. exact is the
// dropoff the restaurant opened from the sealed personal data, or nil.
// Capacity was checked at checkout, so ctx.Orders is not consulted.
func AutoAcceptOrder(s *crdt.OrderState, ctx Context, exact *crdt.Position) AutoDecision {
	if s == nil || s.Status != crdt.StatusPlaced || s.Place.Parcel || ctx.Profile == nil || !ctx.Profile.AutoAccept {
		return AutoDecision{Action: AutoLeave}
	}
	ctx.Orders = nil
	_, err := VerifyOrder(s, ctx, exact)
	switch {
	case err == nil:
		d := AutoDecision{Action: AutoAccept}
		if k, err := NewKitchen(s.Restaurant, ctx.Profile, ctx.CoopTimezone); err == nil {
			d.PrepMinutes = uint32(k.PrepTime().Minutes())
		}
		return d
	case errors.Is(err, ErrUnavailableItem):
		return AutoDecision{Action: AutoRefuse, Reason: crdt.ReasonSoldOut}
	case errors.Is(err, ErrTooManyOrders):
		return AutoDecision{Action: AutoRefuse, Reason: crdt.ReasonRushHour}
	case errors.Is(err, ErrRestaurantClosed):
		return AutoDecision{Action: AutoRefuse, Reason: crdt.ReasonClosing}
	}
	return AutoDecision{Action: AutoLeave, Reason: Code(err)}
}

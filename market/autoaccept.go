package market

import (
	"errors"

	"github.com/coopnode/coopnode/crdt"
)

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

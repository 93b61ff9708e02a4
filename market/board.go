package market

import (
	"fmt"
	"sort"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// The job board rule (SPEC.md §21.2): who sees a delivery job first, as a
// pure function of the coop state, the order, the courier and the clock —
// shift, distance and waiting time, no hidden ranking — with the reasons
// spelled out so that a courier sees why a job was offered as it was.

// Offer is one job as one courier's board shows it.
type Offer struct {
	Order     crdt.ID `json:"order"`
	DistanceM int     `json:"distance_m"` // courier to pickup, SPEC.md §16.4.1
	// OfferedFrom is when the job opened (its acceptance), wall ms.
	OfferedFrom int64 `json:"offered_from"`
	// VisibleAt is when this courier sees it: OfferedFrom for couriers on
	// a covering shift (or when no courier is), else OfferedFrom + the
	// head start.
	VisibleAt int64 `json:"visible_at"`
	Visible   bool  `json:"visible"`
	// Shift is the covering shift the courier holds a seat on; zero if
	// none.
	Shift crdt.ID `json:"shift,omitzero"`
	// ShiftCouriers counts the couriers on a covering shift.
	ShiftCouriers int   `json:"shift_couriers"`
	WaitingMs     int64 `json:"waiting_ms"`
	// Why says, in words, how the rule placed the job.
	Why []string `json:"why"`
}

// IsJob reports whether an order is on the board: a delivery accepted,
// preparing or ready, with no confirmed holder (SPEC.md §21.2 step 1).
func IsJob(s *crdt.OrderState) bool {
	switch s.Status {
	case crdt.StatusAccepted, crdt.StatusPreparing, crdt.StatusReady:
	default:
		return false
	}
	return s.Place.Fulfilment == crdt.FulfilDelivery && !s.HolderConfirmed
}

// Covering returns the shifts covering now whose zone holds the job's
// pickup, by the zones of the rules version the order names. The relay's
// wake-ups follow it too (node/wakeups.go).
func Covering(coop *crdt.CoopState, s *crdt.OrderState, now int64) []*crdt.Shift {
	var zones []string
	if r, err := RulesFor(coop, s.Place.RulesVersion); err == nil {
		zones = r.ZonesAt(s.Place.Pickup)
	}
	var out []*crdt.Shift
	for _, sh := range coop.SortedShifts() {
		if !sh.Covers(now) {
			continue
		}
		if sh.Plan.Zone != "" && !contains(zones, sh.Plan.Zone) {
			continue
		}
		out = append(out, sh)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// OfferFor places one job on courier k's board at wall time now, from
// position pos (SPEC.md §21.2 steps 2, 3 and 5).
func OfferFor(coop *crdt.CoopState, s *crdt.OrderState, k crdt.PubKey, pos crdt.Position, now int64) Offer {
	o := Offer{Order: s.ID, DistanceM: int(DistanceM(pos, s.Place.Pickup)), OfferedFrom: s.AcceptedAt}
	o.WaitingMs = max(now-s.AcceptedAt, 0)
	seen := map[crdt.PubKey]bool{}
	for _, sh := range Covering(coop, s, now) {
		for _, st := range sh.Seats {
			seen[st.Courier] = true
			if st.Courier == k && o.Shift.IsZero() {
				o.Shift = sh.ID
			}
		}
	}
	o.ShiftCouriers = len(seen)
	head := int64(coop.Constitution.HeadStartSec) * 1000
	switch {
	case !o.Shift.IsZero():
		o.VisibleAt = o.OfferedFrom
		o.Why = append(o.Why, fmt.Sprintf("you are on shift %s, which covers this pickup: you see the job as soon as it is accepted", o.Shift.Short()))
	case o.ShiftCouriers == 0 || head == 0:
		o.VisibleAt = o.OfferedFrom
		if o.ShiftCouriers == 0 {
			o.Why = append(o.Why, "no courier is on a shift covering this pickup: every courier sees the job as soon as it is accepted")
		} else {
			o.Why = append(o.Why, "the coop gives couriers on shift no head start: every courier sees the job as soon as it is accepted")
		}
	default:
		o.VisibleAt = o.OfferedFrom + head
		o.Why = append(o.Why, fmt.Sprintf("%d couriers on shift cover this pickup and see it first; you are not on such a shift, so you see it %ds after it is accepted",
			o.ShiftCouriers, coop.Constitution.HeadStartSec))
	}
	o.Visible = now >= o.VisibleAt
	o.Why = append(o.Why, fmt.Sprintf("pickup %d m from you", o.DistanceM),
		fmt.Sprintf("waiting %s since it was accepted", (time.Duration(o.WaitingMs)*time.Millisecond).Truncate(time.Second)))
	return o
}

// Board lists the jobs among orders as courier k's board shows them at
// now: the visible ones nearest first, then longest waiting, then by
// order ID; the others after, soonest visible first (SPEC.md §21.2 step 4).
func Board(coop *crdt.CoopState, orders []*crdt.OrderState, k crdt.PubKey, pos crdt.Position, now int64) []Offer {
	var out []Offer
	for _, s := range orders {
		if s != nil && IsJob(s) {
			out = append(out, OfferFor(coop, s, k, pos, now))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Visible != b.Visible:
			return a.Visible
		case !a.Visible && a.VisibleAt != b.VisibleAt:
			return a.VisibleAt < b.VisibleAt
		case a.DistanceM != b.DistanceM:
			return a.DistanceM < b.DistanceM
		case a.OfferedFrom != b.OfferedFrom:
			return a.OfferedFrom < b.OfferedFrom
		}
		return a.Order.Compare(b.Order) < 0
	})
	return out
}

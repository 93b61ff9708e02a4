package crdt

// Shift payloads (issue 16; SPEC.md §21.1): the coop publishes shift
// slots, couriers sign up, drop with the notice the constitution requires,
// and swap seats by an offer and its acceptance. Like every payload they
// carry CBOR integer keys and omit zero values.

// Bounds on a shift plan (SPEC.md §21.1.2).
const (
	// MaxShiftMillis bounds a shift's length: 24 hours.
	MaxShiftMillis = 24 * 3600 * 1000
	// MaxShiftSeats bounds ShiftPlan.Needed.
	MaxShiftSeats = 1000
)

// ShiftPlan (kind 11) publishes a shift slot. Its event ID names it.
type ShiftPlan struct {
	Start int64 `cbor:"1,keyasint,omitempty" json:"start"` // wall ms
	End   int64 `cbor:"2,keyasint,omitempty" json:"end"`   // wall ms, after Start
	// Zone names a zone of the coop's rules whose pickups the shift
	// covers; "" covers every pickup.
	Zone string `cbor:"3,keyasint,omitempty" json:"zone,omitempty"`
	// Needed is how many couriers the shift seats.
	Needed uint32 `cbor:"4,keyasint,omitempty" json:"needed"`
	// GuaranteeCents is the guaranteed pay per hour on shift; 0: none
	// (SPEC.md §21.1.2).
	GuaranteeCents int64  `cbor:"5,keyasint,omitempty" json:"guarantee_cents,omitempty"`
	Note           string `cbor:"6,keyasint,omitempty" json:"note,omitempty"`
}

// ShiftSignup (kind 12) takes a seat on a shift.
type ShiftSignup struct {
	Shift ID `cbor:"1,keyasint,omitempty,omitzero" json:"shift"`
}

// ShiftDrop (kind 13) gives a seat up.
type ShiftDrop struct {
	Shift  ID     `cbor:"1,keyasint,omitempty,omitzero" json:"shift"`
	Reason string `cbor:"2,keyasint,omitempty" json:"reason,omitempty"`
}

// ShiftOffer (kind 14) offers the author's seat on Shift to another
// courier: to To only if set, and in exchange for the accepter's seat on
// For if set. Its event ID names the offer.
type ShiftOffer struct {
	Shift ID     `cbor:"1,keyasint,omitempty,omitzero" json:"shift"`
	To    PubKey `cbor:"2,keyasint,omitempty,omitzero" json:"to,omitzero"`
	For   ID     `cbor:"3,keyasint,omitempty,omitzero" json:"for,omitzero"`
}

// ShiftAccept (kind 15) accepts a swap offer: the accepter takes the
// offerer's seat (and the offerer the accepter's seat on the offer's For).
type ShiftAccept struct {
	Offer ID `cbor:"1,keyasint,omitempty,omitzero" json:"offer"`
}

func (*ShiftPlan) Kind() Kind   { return KindShiftPlan }
func (*ShiftSignup) Kind() Kind { return KindShiftSignup }
func (*ShiftDrop) Kind() Kind   { return KindShiftDrop }
func (*ShiftOffer) Kind() Kind  { return KindShiftOffer }
func (*ShiftAccept) Kind() Kind { return KindShiftAccept }

// Problem returns why a shift plan is not well formed when signed at
// wall, or "" (SPEC.md §21.1.2).
func (p *ShiftPlan) Problem(wall int64) string {
	switch {
	case p.Start <= 0 || p.End <= p.Start:
		return "the shift must end after it starts"
	case p.End-p.Start > MaxShiftMillis:
		return "a shift lasts at most 24 hours"
	case p.End <= wall:
		return "the shift is over already"
	case p.Needed == 0 || p.Needed > MaxShiftSeats:
		return "needed must be 1..1000 couriers"
	case !amount(p.GuaranteeCents, false):
		return "guaranteed hourly pay out of range"
	}
	return ""
}

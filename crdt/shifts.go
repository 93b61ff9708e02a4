package crdt

import (
	"slices"
	"sort"
)

// Shifts in the coop fold (SPEC.md §21.1). Shift events are folded in the
// coop log's order, (Lamport, ID), like every coop event: which of two
// concurrent sign-ups takes the last seat, or which of two acceptances
// takes an offer, is decided by that order, so every replica decides the
// same (SPEC.md §6.2). A shift, an offer and a seat are referred to only by
// events written after them (greater Lamport clock), so a reference is
// always folded after what it names.

// Shift is a published shift slot and who holds its seats.
type Shift struct {
	ID        ID        `json:"id"`
	By        PubKey    `json:"by"` // the planner's member key
	PlannedAt int64     `json:"planned_at"`
	Lamport   uint64    `json:"lamport"`
	Plan      ShiftPlan `json:"plan"`
	// Seats are the couriers on shift, in the order they took their seat.
	Seats []Seat `json:"seats"`
	// Left lists the seats given up, by drop or swap, in fold order.
	Left   []Seat      `json:"left,omitempty"`
	Offers []SwapOffer `json:"offers,omitempty"`
}

// Seat is one courier's place on a shift.
type Seat struct {
	Courier PubKey `json:"courier"` // member key
	Since   int64  `json:"since"`   // wall of the event that seated it
	Event   ID     `json:"event"`   // the shift.signup or shift.swap_accept
	Left    int64  `json:"left,omitempty"`
	LeftBy  ID     `json:"left_by,omitzero"` // the shift.drop or shift.swap_accept
}

// Swap offer statuses.
const (
	OfferOpen   = "open"
	OfferTaken  = "taken"
	OfferClosed = "closed" // its courier left the shift
)

// SwapOffer is an offer of a seat.
type SwapOffer struct {
	Event   ID     `json:"event"`
	From    PubKey `json:"from"`
	To      PubKey `json:"to,omitzero"`
	For     ID     `json:"for,omitzero"`
	At      int64  `json:"at"`
	Lamport uint64 `json:"lamport"`
	Status  string `json:"status"`
	TakenBy PubKey `json:"taken_by,omitzero"`
}

// Seated reports whether member k holds a seat on the shift.
func (s *Shift) Seated(k PubKey) bool { return s.seat(k) >= 0 }

func (s *Shift) seat(k PubKey) int {
	for i, x := range s.Seats {
		if x.Courier == k {
			return i
		}
	}
	return -1
}

// Covers reports whether wall time t is within the shift.
func (s *Shift) Covers(t int64) bool { return s.Plan.Start <= t && t < s.Plan.End }

// mayPlan: admins, and members of the roles the constitution names.
func (c *CoopState) mayPlan(e *Event) bool {
	return c.HasRole(e.Author, e.Wall, RoleAdmin|c.Constitution.ShiftPlanners)
}

// courierAt returns the courier member an author acts for at t.
func (c *CoopState) courierAt(e *Event) (PubKey, Reason) {
	m, r := c.Resolve(e.Author, e.Wall)
	if r != ReasonOK {
		return PubKey{}, r
	}
	if !m.RolesAt(e.Wall).Has(RoleCourier) {
		return PubKey{}, ReasonNotCourier
	}
	return m.Key, ReasonOK
}

// shiftOf returns the shift an event names, if it was folded before it.
func (c *CoopState) shiftOf(e *Event, id ID) (*Shift, Reason) {
	s, ok := c.Shifts[id]
	if !ok || e.Lamport <= s.Lamport {
		return nil, ReasonUnknownShift
	}
	return s, ReasonOK
}

// stepShift applies a shift event (SPEC.md §21.1.4).
func (c *CoopState) stepShift(e *Event) Reason {
	if b, ok := e.Body.(*ShiftPlan); ok {
		m, r := c.Resolve(e.Author, e.Wall)
		if r != ReasonOK {
			return r
		}
		if !c.mayPlan(e) {
			return ReasonNotPlanner
		}
		if b.Problem(e.Wall) != "" {
			return ReasonBadField
		}
		c.Shifts[e.ID] = &Shift{ID: e.ID, By: m.Key, PlannedAt: e.Wall, Lamport: e.Lamport, Plan: *b}
		return ReasonOK
	}
	k, r := c.courierAt(e)
	if r != ReasonOK {
		return r
	}
	switch b := e.Body.(type) {
	case *ShiftSignup:
		s, r := c.shiftOf(e, b.Shift)
		switch {
		case r != ReasonOK:
			return r
		case e.Wall >= s.Plan.End:
			return ReasonShiftOver
		case s.Seated(k):
			return ReasonOnShift
		case len(s.Seats) >= int(s.Plan.Needed):
			return ReasonShiftFull
		}
		s.Seats = append(s.Seats, Seat{Courier: k, Since: e.Wall, Event: e.ID})
	case *ShiftDrop:
		s, r := c.shiftOf(e, b.Shift)
		switch {
		case r != ReasonOK:
			return r
		case !s.Seated(k):
			return ReasonNotOnShift
		case e.Wall > s.Plan.Start-int64(c.Constitution.DropNoticeMin)*60_000:
			return ReasonShortNotice
		}
		s.leave(k, e)
	case *ShiftOffer:
		s, r := c.shiftOf(e, b.Shift)
		switch {
		case r != ReasonOK:
			return r
		case !s.Seated(k):
			return ReasonNotOnShift
		case e.Wall >= s.Plan.Start:
			return ReasonShiftStarted
		case b.To == k || b.For == b.Shift:
			return ReasonBadField
		}
		if !b.To.IsZero() {
			if _, roles, ok := c.MemberAt(b.To, e.Wall); !ok || !roles.Has(RoleCourier) {
				return ReasonNotCourier
			}
		}
		if !b.For.IsZero() {
			f, r := c.shiftOf(e, b.For)
			switch {
			case r != ReasonOK:
				return r
			case f.Seated(k):
				return ReasonOnShift
			case e.Wall >= f.Plan.Start:
				return ReasonShiftStarted
			}
		}
		s.Offers = append(s.Offers, SwapOffer{Event: e.ID, From: k, To: b.To, For: b.For, At: e.Wall, Lamport: e.Lamport, Status: OfferOpen})
		c.offers[e.ID] = s.ID
	case *ShiftAccept:
		return c.accept(e, k, b)
	default:
		return ReasonWrongBody
	}
	return ReasonOK
}

// accept applies a shift.swap_accept by courier k.
func (c *CoopState) accept(e *Event, k PubKey, b *ShiftAccept) Reason {
	sid, ok := c.offers[b.Offer]
	if !ok {
		return ReasonUnknownOffer
	}
	s := c.Shifts[sid]
	i := slices.IndexFunc(s.Offers, func(o SwapOffer) bool { return o.Event == b.Offer })
	o := &s.Offers[i]
	switch {
	case e.Lamport <= o.Lamport:
		return ReasonUnknownOffer
	case o.Status != OfferOpen:
		return ReasonOfferClosed
	case o.From == k:
		return ReasonBadField
	case !o.To.IsZero() && o.To != k:
		return ReasonNotOffered
	case e.Wall >= s.Plan.Start:
		return ReasonShiftStarted
	case s.Seated(k):
		return ReasonOnShift
	}
	var f *Shift
	if !o.For.IsZero() {
		f = c.Shifts[o.For]
		switch {
		case !f.Seated(k):
			return ReasonNotOnShift
		case f.Seated(o.From):
			return ReasonOnShift
		case e.Wall >= f.Plan.Start:
			return ReasonShiftStarted
		}
	}
	o.Status, o.TakenBy = OfferTaken, k
	s.leave(o.From, e)
	s.Seats = append(s.Seats, Seat{Courier: k, Since: e.Wall, Event: e.ID})
	if f != nil {
		f.leave(k, e)
		f.Seats = append(f.Seats, Seat{Courier: o.From, Since: e.Wall, Event: e.ID})
	}
	return ReasonOK
}

// leave moves k's seat to Left and closes k's open offers on the shift.
func (s *Shift) leave(k PubKey, e *Event) {
	i := s.seat(k)
	st := s.Seats[i]
	st.Left, st.LeftBy = e.Wall, e.ID
	s.Left = append(s.Left, st)
	s.Seats = slices.Delete(s.Seats, i, i+1)
	for j := range s.Offers {
		if o := &s.Offers[j]; o.From == k && o.Status == OfferOpen {
			o.Status = OfferClosed
		}
	}
}

// SortedShifts returns the shifts by start, then ID.
func (c *CoopState) SortedShifts() []*Shift {
	out := make([]*Shift, 0, len(c.Shifts))
	for _, s := range c.Shifts {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Plan.Start != out[j].Plan.Start {
			return out[i].Plan.Start < out[j].Plan.Start
		}
		return out[i].ID.Compare(out[j].ID) < 0
	})
	return out
}

// OnShift returns the shifts covering wall time t on which member k holds
// a seat, by start then ID.
func (c *CoopState) OnShift(k PubKey, t int64) []*Shift {
	var out []*Shift
	for _, s := range c.SortedShifts() {
		if s.Covers(t) && s.Seated(k) {
			out = append(out, s)
		}
	}
	return out
}

func cloneShifts(in map[ID]*Shift) (map[ID]*Shift, map[ID]ID) {
	out := make(map[ID]*Shift, len(in))
	offers := map[ID]ID{}
	for id, s := range in {
		n := *s
		n.Seats = slices.Clone(s.Seats)
		n.Left = slices.Clone(s.Left)
		n.Offers = slices.Clone(s.Offers)
		for _, o := range s.Offers {
			offers[o.Event] = id
		}
		out[id] = &n
	}
	return out, offers
}

// hashShifts feeds the shifts and the constitution's shift settings to a
// coop state hash (SPEC.md §21.1.5); nothing when there are none, so coops
// without shifts keep their hashes.
func (c *CoopState) hashShifts(h *hasher) {
	k := c.Constitution
	if len(c.Shifts) == 0 && k.ShiftPlanners == 0 && k.DropNoticeMin == 0 && k.HeadStartSec == 0 && k.CredentialIssuer.IsZero() {
		return
	}
	h.str("shifts/v1")
	h.u64(uint64(k.ShiftPlanners))
	h.u64(uint64(k.DropNoticeMin))
	h.u64(uint64(k.HeadStartSec))
	h.id(k.CredentialIssuer)
	ss := c.SortedShifts()
	h.u64(uint64(len(ss)))
	seats := func(xs []Seat) {
		h.u64(uint64(len(xs)))
		for _, x := range xs {
			h.id(x.Courier)
			h.id(x.Event)
			h.id(x.LeftBy)
		}
	}
	for _, s := range ss {
		h.id(s.ID)
		seats(s.Seats)
		seats(s.Left)
		h.u64(uint64(len(s.Offers)))
		for _, o := range s.Offers {
			h.id(o.Event)
			h.str(o.Status)
			h.id(o.TakenBy)
		}
	}
}

func isShiftKind(k Kind) bool { return k >= KindShiftPlan && k <= KindShiftAccept }

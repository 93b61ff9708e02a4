package crdt

import (
	"crypto/sha256"
	"crypto/subtle"
	"slices"
)

// OrderStatus is an order's place in the state machine (SPEC.md §6.1).
type OrderStatus uint8

// Order statuses.
const (
	StatusInvalid OrderStatus = iota // the place event itself broke a rule
	StatusPlaced
	StatusAccepted
	StatusPreparing
	StatusReady
	StatusPickedUp
	StatusDelivered
	StatusFulfilled // a collection order handed over at the counter
	StatusRefused
	StatusCancelled
	StatusFailed
)

var statusNames = [...]string{"invalid", "placed", "accepted", "preparing", "ready", "picked_up", "delivered", "fulfilled", "refused", "cancelled", "failed"}

func (s OrderStatus) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// MarshalText makes statuses readable in JSON.
func (s OrderStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Terminal reports whether no further transition can leave s, except
// restore from cancelled.
func (s OrderStatus) Terminal() bool {
	switch s {
	case StatusInvalid, StatusDelivered, StatusFulfilled, StatusRefused, StatusCancelled, StatusFailed:
		return true
	}
	return false
}

// Open reports whether the order still waits for a kitchen or a courier.
func (s OrderStatus) Open() bool { return !s.Terminal() }

// TaskStatus is the state of a pickup or dropoff task (SPEC.md §6.1.2).
type TaskStatus uint8

// Task statuses; TaskNone means the task does not exist yet (order not
// accepted) or at all (collection orders).
const (
	TaskNone TaskStatus = iota
	TaskTodo
	TaskDoing
	TaskDone
	TaskFailed
	TaskCancelled
)

var taskNames = [...]string{"NONE", "TODO", "DOING", "DONE", "FAILED", "CANCELLED"}

func (t TaskStatus) String() string {
	if int(t) < len(taskNames) {
		return taskNames[t]
	}
	return "UNKNOWN"
}

// MarshalText makes task statuses readable in JSON.
func (t TaskStatus) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Task is a pickup or a dropoff.
type Task struct {
	Status     TaskStatus `json:"status"`
	StartedAt  int64      `json:"started_at,omitempty"`
	DoneAt     int64      `json:"done_at,omitempty"`
	FailReason string     `json:"fail_reason,omitempty"`
}

// Claim outcomes (SPEC.md §7).
const (
	ClaimProvisional = "provisional" // holder by the fold's rule, not yet confirmed
	ClaimWon         = "won"         // holder, confirmed by the restaurant, a dispatcher or a pickup
	ClaimLost        = "lost"        // another courier holds the order: see Winner
	ClaimReleased    = "released"    // was holder, then unassigned or cancelled
)

// Claim is one courier's claim on an order and how it ended.
type Claim struct {
	Event   ID     `json:"event"`
	Courier PubKey `json:"courier"` // member key
	Lamport uint64 `json:"lamport"`
	Wall    int64  `json:"wall"`
	Outcome string `json:"outcome"`
	Winner  PubKey `json:"winner,omitzero"`
}

// Share is one re-sealed copy of an order's personal data.
type Share struct {
	Recipient PubKey `json:"recipient"`
	Sealed    []byte `json:"sealed"`
	Event     ID     `json:"event"`
}

// Step is an event that changed the order, in fold order.
type Step struct {
	Event   ID     `json:"event"`
	Kind    Kind   `json:"kind"`
	Author  PubKey `json:"author"`
	Lamport uint64 `json:"lamport"`
	Wall    int64  `json:"wall"`
}

// OrderState is the fold of one order's log (SPEC.md §6.1).
type OrderState struct {
	ID         ID          `json:"id"`
	Coop       ID          `json:"coop"`
	Customer   PubKey      `json:"customer"`
	Restaurant PubKey      `json:"restaurant"`
	Place      OrderPlace  `json:"place"`
	PlacedAt   int64       `json:"placed_at"`
	Status     OrderStatus `json:"status"`
	Reason     string      `json:"reason,omitempty"` // refusal, cancellation, failure or invalidity
	// WasAccepted records that the order was accepted at some point, which is
	// what allows a restore.
	WasAccepted     bool    `json:"was_accepted,omitempty"`
	PrepMinutes     uint32  `json:"prep_minutes,omitempty"`
	DelayMinutes    uint32  `json:"delay_minutes,omitempty"`
	AcceptedAt      int64   `json:"accepted_at,omitempty"`
	ReadyAt         int64   `json:"ready_at,omitempty"`
	Holder          PubKey  `json:"holder,omitempty"` // member key of the courier who holds the order
	HolderConfirmed bool    `json:"holder_confirmed,omitempty"`
	Claims          []Claim `json:"claims,omitempty"`
	Pickup          Task    `json:"pickup"`
	Dropoff         Task    `json:"dropoff"`
	Proof           *Proof  `json:"proof,omitempty"`
	// Stops are the dropoffs of a parcel delivery, one per
	// Place.Dropoffs, in order; Dropoff then summarises them
	// (SPEC.md §16.7). Empty for food orders.
	Stops []Stop `json:"stops,omitempty"`
	// Shares are the copies of the customer's sealed personal data that the
	// restaurant re-sealed for couriers (SPEC.md §15.4), one per recipient.
	Shares []Share `json:"shares,omitempty"`
	// Rating is the customer's latest rating (SPEC.md §16.8).
	Rating *Rating `json:"rating,omitempty"`
	// Payment is the order's payment as its order.payment events left it
	// (SPEC.md §20.2); nil before the first.
	Payment *Payment `json:"payment,omitempty"`
	// Feedback and Incidents are the parties' ratings of each other and
	// the incidents reported (SPEC.md §21.4).
	Feedback  []Feedback  `json:"feedback,omitempty"`
	Incidents []Incident  `json:"incidents,omitempty"`
	Steps     []Step      `json:"steps"`
	Rejected  []Rejection `json:"rejected,omitempty"`
}

// DefaultPrepMinutes is used when an accept names no preparation time.
const DefaultPrepMinutes = 15

// MaxDelayMinutes bounds one delay event (SPEC.md §9).
const MaxDelayMinutes = 240

// ExpectedReadyAt is when the kitchen expects the order ready, in wall ms,
// or 0 before acceptance.
func (s *OrderState) ExpectedReadyAt() int64 {
	if s.AcceptedAt == 0 {
		return 0
	}
	return s.AcceptedAt + int64(s.PrepMinutes+s.DelayMinutes)*60_000
}

// HasHolder reports whether a courier holds the order.
func (s *OrderState) HasHolder() bool { return !s.Holder.IsZero() }

// Parties lists the order's parties: its customer, its restaurant and, if
// a courier holds it, its holder (SPEC.md §10.4). They are member keys.
func (s *OrderState) Parties() []PubKey {
	ps := []PubKey{s.Customer, s.Restaurant}
	if s.HasHolder() {
		ps = append(ps, s.Holder)
	}
	return ps
}

// IsParty reports whether member k is one of the order's Parties.
func (s *OrderState) IsParty(k PubKey) bool { return slices.Contains(s.Parties(), k) }

// newOrderState starts the fold from the place event.
func newOrderState(place *Event, coop *CoopState) *OrderState {
	s := &OrderState{ID: place.ID, Coop: place.Coop, Customer: place.Author, PlacedAt: place.Wall}
	p, ok := place.Body.(*OrderPlace)
	if !ok {
		s.reject(place, ReasonWrongBody)
		return s
	}
	s.Place = *p
	s.Restaurant = p.Restaurant
	if r := checkPlace(place, p, coop); r != ReasonOK {
		s.Reason = string(r)
		s.reject(place, r)
		return s
	}
	s.Status = StatusPlaced
	if p.Parcel {
		// a shop's own request: nothing to accept (SPEC.md §16.7)
		s.Status, s.WasAccepted, s.AcceptedAt = StatusAccepted, true, place.Wall
		s.resetTasks()
	}
	s.step(place)
	return s
}

// checkPlace holds the order-independent rules of a place event.
func checkPlace(e *Event, p *OrderPlace, coop *CoopState) Reason {
	if !e.Scope.IsZero() || len(e.Parents) != 0 {
		return ReasonWrongScope
	}
	if p.Fulfilment != FulfilDelivery && p.Fulfilment != FulfilCollection {
		return ReasonBadField
	}
	if !p.Pickup.Valid() || !p.DropoffArea.Valid() {
		return ReasonBadField
	}
	if len(p.PINHash) != 0 && len(p.PINHash) != sha256.Size {
		return ReasonBadField
	}
	if !parcelShapeOK(p) {
		return ReasonBadField
	}
	if _, roles, ok := coop.MemberAt(p.Restaurant, e.Wall); !ok || !roles.Any(RoleRestaurant|RoleShop) {
		return ReasonRestaurantUnknown
	}
	if p.Parcel {
		// only the shop requests its own parcel deliveries
		m, r := coop.Resolve(e.Author, e.Wall)
		if r == ReasonRevokedKey {
			return r
		}
		if r != ReasonOK || m.Key != p.Restaurant {
			return ReasonNotRestaurant
		}
	}
	return ReasonOK
}

func (s *OrderState) reject(e *Event, r Reason) Reason {
	s.Rejected = append(s.Rejected, Rejection{Event: e.ID, Kind: e.Kind, Author: e.Author, Reason: r})
	return r
}

func (s *OrderState) step(e *Event) {
	s.Steps = append(s.Steps, Step{Event: e.ID, Kind: e.Kind, Author: e.Author, Lamport: e.Lamport, Wall: e.Wall})
}

// apply folds one non-root event of the order, in fold order.
func (s *OrderState) apply(e *Event, coop *CoopState) Reason {
	if s.Status == StatusInvalid {
		return s.reject(e, ReasonBadTransition)
	}
	if r := s.Authorize(e, coop); r != ReasonOK {
		return s.reject(e, r)
	}
	if r := s.transition(e, coop); r != ReasonOK {
		return s.reject(e, r)
	}
	s.step(e)
	return ReasonOK
}

// actor is who an author key is for this order.
type actor struct {
	customer, restaurant, dispatcher bool
	courier                          bool
	member                           PubKey
}

func (s *OrderState) actorOf(author PubKey, t int64, coop *CoopState) (actor, Reason) {
	a := actor{customer: author == s.Customer}
	m, r := coop.Resolve(author, t)
	if r == ReasonOK {
		a.member = m.Key
		a.restaurant = m.Key == s.Restaurant
		roles := m.RolesAt(t)
		a.dispatcher = roles.Any(RoleDispatcher | RoleAdmin)
		a.courier = roles.Has(RoleCourier)
	}
	return a, r
}

// Authorize checks the order-independent rule of SPEC.md §6.3: whether the
// author may ever send this kind of event for this order. It looks only at
// roles, never at the order's current state, so that whether an event is
// stored cannot depend on arrival order. Validators use it to reject (and
// penalise) before the fold; the fold uses it again. Holder checks are
// state-dependent and live in the fold only.
func (s *OrderState) Authorize(e *Event, coop *CoopState) Reason {
	a, mr := s.actorOf(e.Author, e.Wall, coop)
	deny := func(r Reason) Reason {
		if mr == ReasonRevokedKey {
			return ReasonRevokedKey
		}
		return r
	}
	switch e.Kind {
	case KindOrderAccept, KindOrderRefuse, KindOrderDelay, KindOrderStartPreparing, KindOrderReady, KindOrderFulfil, KindOrderShare:
		if !a.restaurant {
			return deny(ReasonNotRestaurant)
		}
	case KindOrderRestore:
		if !a.restaurant && !a.dispatcher {
			return deny(ReasonNotRestaurant)
		}
	case KindOrderCancel:
		if !a.customer && !a.restaurant && !a.dispatcher {
			return deny(ReasonNotParty)
		}
	case KindCourierClaim:
		if !a.courier {
			return deny(ReasonNotCourier)
		}
	case KindCourierAssign:
		if !a.restaurant && !a.dispatcher {
			return deny(ReasonNotDispatcher)
		}
		b, ok := e.Body.(*CourierAssign)
		if !ok {
			return ReasonWrongBody
		}
		if _, roles, ok := coop.MemberAt(b.Courier, e.Wall); !ok || !roles.Has(RoleCourier) {
			return ReasonNotCourier
		}
	case KindCourierUnassign:
		if !a.restaurant && !a.dispatcher && !a.courier {
			return deny(ReasonNotParty)
		}
	case KindTaskStart, KindTaskPickup, KindTaskDeliver:
		if !a.courier {
			return deny(ReasonNotCourier)
		}
	case KindTaskFail:
		if !a.courier && !a.dispatcher {
			return deny(ReasonNotCourier)
		}
	case KindOrderRate:
		if !a.customer {
			return ReasonNotCustomer
		}
	case KindOrderPayment:
		if !a.restaurant && !a.courier {
			return deny(ReasonNotRestaurant)
		}
	case KindOrderFeedback:
		if !a.restaurant && !a.courier {
			return deny(ReasonNotParty)
		}
	case KindIncidentReport:
		if !a.customer && !a.restaurant && !a.courier && !a.dispatcher {
			return deny(ReasonNotParty)
		}
	default:
		return ReasonWrongScope
	}
	return ReasonOK
}

func (s *OrderState) is(st ...OrderStatus) bool {
	for _, x := range st {
		if s.Status == x {
			return true
		}
	}
	return false
}

// kitchen reports whether the order is accepted and not yet picked up.
func (s *OrderState) kitchen() bool {
	return s.is(StatusAccepted, StatusPreparing, StatusReady)
}

func (s *OrderState) delivery() bool { return s.Place.Fulfilment == FulfilDelivery }

// transition applies the state-dependent rules of SPEC.md §6.1.
func (s *OrderState) transition(e *Event, coop *CoopState) Reason {
	a, _ := s.actorOf(e.Author, e.Wall, coop)
	switch b := e.Body.(type) {
	case *OrderAccept:
		if !s.is(StatusPlaced) {
			return ReasonBadTransition
		}
		s.Status, s.WasAccepted, s.AcceptedAt = StatusAccepted, true, e.Wall
		s.PrepMinutes = b.PrepMinutes
		if s.PrepMinutes == 0 {
			s.PrepMinutes = DefaultPrepMinutes
		}
		if s.delivery() {
			s.resetTasks()
		}
	case *OrderRefuse:
		if !s.is(StatusPlaced) {
			return ReasonBadTransition
		}
		if !oneOf(b.Reason, ReasonSoldOut, ReasonRushHour, ReasonClosing) {
			return ReasonBadReason
		}
		s.Status, s.Reason = StatusRefused, b.Reason
	case *OrderDelay:
		if !s.is(StatusPlaced, StatusAccepted, StatusPreparing, StatusReady) {
			return ReasonBadTransition
		}
		if b.Minutes == 0 || b.Minutes > MaxDelayMinutes {
			return ReasonBadField
		}
		s.DelayMinutes += b.Minutes
	case *OrderStartPreparing:
		if !s.is(StatusAccepted) {
			return ReasonBadTransition
		}
		s.Status = StatusPreparing
	case *OrderReady:
		if !s.is(StatusAccepted, StatusPreparing) {
			return ReasonBadTransition
		}
		s.Status, s.ReadyAt = StatusReady, e.Wall
	case *OrderFulfil:
		if !s.kitchen() {
			return ReasonBadTransition
		}
		if s.delivery() {
			return ReasonCollectionOnly
		}
		s.Status = StatusFulfilled
	case *OrderCancel:
		return s.cancel(e, b, a)
	case *OrderRestore:
		if !s.is(StatusCancelled) {
			return ReasonBadTransition
		}
		if !s.WasAccepted {
			return ReasonNeverAccepted
		}
		s.Status, s.Reason = StatusAccepted, ""
		if s.delivery() {
			s.resetTasks()
		}
	case *CourierClaim:
		return s.claim(e, a)
	case *CourierAssign:
		return s.assign(e, b)
	case *CourierUnassign:
		if !s.kitchen() || s.Pickup.Status == TaskDone {
			return ReasonBadTransition
		}
		if !s.HasHolder() {
			return ReasonNoHolder
		}
		if !a.restaurant && !a.dispatcher && a.member != s.Holder {
			return ReasonNotHolder
		}
		s.release()
		if s.Pickup.Status == TaskDoing {
			s.Pickup = Task{Status: TaskTodo}
		}
	case *TaskStart:
		return s.startTask(e, b, a)
	case *TaskPickup:
		if !s.delivery() {
			return ReasonDeliveryOnly
		}
		if !s.kitchen() {
			return ReasonBadTransition
		}
		if r := s.mustHold(a); r != ReasonOK {
			return r
		}
		s.Status = StatusPickedUp
		s.Pickup.Status, s.Pickup.DoneAt = TaskDone, e.Wall
		s.confirmHolder(ID{})
	case *TaskDeliver:
		if !s.is(StatusPickedUp) {
			return ReasonBadTransition
		}
		if r := s.mustHold(a); r != ReasonOK {
			return r
		}
		if s.Place.Parcel {
			return s.deliverStop(e, b)
		}
		if b.Stop != 0 {
			return ReasonBadField
		}
		if len(s.Place.PINHash) == sha256.Size && !PINMatches(s.Customer, b.Proof.PIN, s.Place.PINHash) {
			return ReasonPINMismatch
		}
		proof := b.Proof
		proof.PIN = "" // never kept in state
		s.Proof = &proof
		s.Status = StatusDelivered
		s.Dropoff.Status, s.Dropoff.DoneAt = TaskDone, e.Wall
	case *TaskFail:
		return s.failTask(e, b, a)
	case *OrderRate:
		return s.rate(e, b)
	case *OrderPayment:
		return s.pay(e, b, a)
	case *OrderFeedback:
		return s.feedback(e, b, a)
	case *IncidentReport:
		return s.incident(e, b, a)
	case *OrderShare:
		if b.Recipient.IsZero() || len(b.Sealed) == 0 {
			return ReasonBadField
		}
		if s.Status == StatusInvalid || s.Status == StatusPlaced || s.Status == StatusRefused {
			return ReasonBadTransition
		}
		for i := range s.Shares { // one copy per recipient: the latest
			if s.Shares[i].Recipient == b.Recipient {
				s.Shares = append(s.Shares[:i], s.Shares[i+1:]...)
				break
			}
		}
		s.Shares = append(s.Shares, Share{Recipient: b.Recipient, Sealed: b.Sealed, Event: e.ID})
	default:
		return ReasonWrongBody
	}
	return ReasonOK
}

func (s *OrderState) cancel(e *Event, b *OrderCancel, a actor) Reason {
	switch {
	case a.restaurant || a.dispatcher:
		if !s.is(StatusPlaced, StatusAccepted, StatusPreparing, StatusReady) {
			return ReasonBadTransition
		}
		if !oneOf(b.Reason, ReasonCustomer, ReasonSoldOut, ReasonRushHour, ReasonNoShow) {
			return ReasonBadReason
		}
	default: // the customer
		if !s.is(StatusPlaced) {
			if s.is(StatusAccepted, StatusPreparing, StatusReady, StatusPickedUp) {
				return ReasonCancelAfterAcc
			}
			return ReasonBadTransition
		}
		if b.Reason != ReasonCustomer {
			return ReasonBadReason
		}
	}
	s.Status, s.Reason = StatusCancelled, b.Reason
	if s.HasHolder() {
		s.release()
	}
	for _, t := range s.tasks() {
		if t.Status == TaskTodo || t.Status == TaskDoing {
			t.Status = TaskCancelled
		}
	}
	return ReasonOK
}

// claim implements the claim rule of SPEC.md §7: the first valid claim in
// fold order becomes the provisional holder; later ones lose to it.
func (s *OrderState) claim(e *Event, a actor) Reason {
	if !s.delivery() {
		return ReasonDeliveryOnly
	}
	if !s.kitchen() {
		return ReasonNotClaimable
	}
	if a.member == s.Holder {
		return ReasonAlreadyHolder
	}
	c := Claim{Event: e.ID, Courier: a.member, Lamport: e.Lamport, Wall: e.Wall}
	if s.HasHolder() {
		c.Outcome, c.Winner = ClaimLost, s.Holder
	} else {
		c.Outcome = ClaimProvisional
		s.Holder, s.HolderConfirmed = a.member, false
	}
	s.Claims = append(s.Claims, c)
	return ReasonOK
}

// assign confirms a holder: the restaurant or a dispatcher names a courier.
func (s *OrderState) assign(e *Event, b *CourierAssign) Reason {
	if !s.delivery() {
		return ReasonDeliveryOnly
	}
	if !s.kitchen() || s.Pickup.Status == TaskDone {
		return ReasonNotClaimable
	}
	if s.Holder != b.Courier {
		// the previous holder lost to the assigned courier
		for i := range s.Claims {
			c := &s.Claims[i]
			if c.Courier == s.Holder && (c.Outcome == ClaimProvisional || c.Outcome == ClaimWon) {
				c.Outcome = ClaimLost
			}
		}
		s.Holder = b.Courier
		if s.Pickup.Status == TaskDoing {
			s.Pickup = Task{Status: TaskTodo} // the new holder has not set off yet
		}
	}
	s.confirmHolder(b.Claim)
	return ReasonOK
}

// confirmHolder marks the holder confirmed. The holder's winning claim is its
// live one, else the one the assign names, else its latest; every other
// unreleased claim is lost and names the holder as winner.
func (s *OrderState) confirmHolder(prefer ID) {
	s.HolderConfirmed = true
	win := -1
	for i, c := range s.Claims {
		if c.Courier != s.Holder || c.Outcome == ClaimReleased {
			continue
		}
		if c.Outcome == ClaimProvisional || c.Outcome == ClaimWon {
			win = i
			break
		}
		if win == -1 || s.Claims[win].Event != prefer {
			win = i
		}
	}
	for i := range s.Claims {
		c := &s.Claims[i]
		switch {
		case i == win:
			c.Outcome, c.Winner = ClaimWon, s.Holder
		case c.Outcome != ClaimReleased:
			c.Outcome, c.Winner = ClaimLost, s.Holder
		}
	}
}

// release clears the holder; its claim becomes released and the order is
// claimable again. Lost claims stay lost: their couriers claim again.
func (s *OrderState) release() {
	for i := range s.Claims {
		c := &s.Claims[i]
		if c.Courier == s.Holder && (c.Outcome == ClaimProvisional || c.Outcome == ClaimWon) {
			c.Outcome = ClaimReleased
		}
	}
	s.Holder, s.HolderConfirmed = PubKey{}, false
}

func (s *OrderState) mustHold(a actor) Reason {
	if !s.HasHolder() {
		return ReasonNoHolder
	}
	if a.member != s.Holder {
		return ReasonNotHolder
	}
	return ReasonOK
}

func (s *OrderState) startTask(e *Event, b *TaskStart, a actor) Reason {
	if !s.delivery() {
		return ReasonDeliveryOnly
	}
	if r := s.mustHold(a); r != ReasonOK {
		return r
	}
	switch b.Task {
	case TaskPickupN:
		if b.Stop != 0 {
			return ReasonBadField
		}
		if !s.kitchen() || s.Pickup.Status != TaskTodo {
			return ReasonBadTransition
		}
		s.Pickup.Status, s.Pickup.StartedAt = TaskDoing, e.Wall
	case TaskDropoffN:
		if s.Place.Parcel {
			return s.startStop(e, b.Stop)
		}
		if b.Stop != 0 {
			return ReasonBadField
		}
		if !s.is(StatusPickedUp) || s.Dropoff.Status != TaskTodo {
			return ReasonBadTransition
		}
		s.Dropoff.Status, s.Dropoff.StartedAt = TaskDoing, e.Wall
	default:
		return ReasonBadField
	}
	return ReasonOK
}

func (s *OrderState) failTask(e *Event, b *TaskFail, a actor) Reason {
	if !s.delivery() {
		return ReasonDeliveryOnly
	}
	if b.Reason == "" {
		return ReasonBadReason
	}
	if !a.dispatcher {
		if r := s.mustHold(a); r != ReasonOK {
			return r
		}
	}
	var t *Task
	switch b.Task {
	case TaskPickupN:
		if b.Stop != 0 {
			return ReasonBadField
		}
		if !s.kitchen() {
			return ReasonBadTransition
		}
		t = &s.Pickup
		s.Dropoff.Status = TaskCancelled
		for i := range s.Stops {
			s.Stops[i].Status = TaskCancelled
		}
	case TaskDropoffN:
		if s.Place.Parcel {
			return s.failStop(e, b)
		}
		if b.Stop != 0 {
			return ReasonBadField
		}
		if !s.is(StatusPickedUp) {
			return ReasonBadTransition
		}
		t = &s.Dropoff
	default:
		return ReasonBadField
	}
	t.Status, t.DoneAt, t.FailReason = TaskFailed, e.Wall, b.Reason
	s.Status, s.Reason = StatusFailed, b.Reason
	return ReasonOK
}

// PINMatches checks a handover PIN against the hash in the place event
// (SPEC.md §5.4.1). The hash is public and a PIN is short, so it catches the
// wrong door and casual fraud, not a courier who brute-forces it; the
// customer's own rating or dispute is the stronger proof.
func PINMatches(customer PubKey, pin string, hash []byte) bool {
	h := PINHash(customer, pin)
	return subtle.ConstantTimeCompare(h[:], hash) == 1
}

// PINHash is SHA-256("coopnode/pin/v1" || customer key || PIN).
func PINHash(customer PubKey, pin string) [32]byte {
	h := sha256.New()
	h.Write([]byte("coopnode/pin/v1"))
	h.Write(customer[:])
	h.Write([]byte(pin))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

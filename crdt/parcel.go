package crdt

import "crypto/sha256"

// Parcel deliveries and ratings in the order fold (SPEC.md §16.7,
// §16.8). A parcel delivery is an order.place with Parcel set: a shop asks the
// coop's couriers to carry packages from its pickup to one or more dropoffs.
// It reuses the food order's machine (claims, assign, pickup) and replaces
// the single dropoff task by one task per dropoff, its stops.

// Stop is the task of one dropoff of a parcel delivery, with its proof.
type Stop struct {
	Task
	Proof *Proof `json:"proof,omitempty"`
}

// Rating is a customer's rating of a finished order.
type Rating struct {
	RestaurantStars uint8  `json:"restaurant_stars,omitempty"`
	CourierStars    uint8  `json:"courier_stars,omitempty"`
	Comment         string `json:"comment,omitempty"`
	At              int64  `json:"at"`    // wall of the order.rate
	Event           ID     `json:"event"` // the order.rate
}

// MaxStars is the best rating.
const MaxStars = 5

// parcelShapeOK checks the parcel fields of a place: a parcel is a delivery
// with 1..MaxDropoffs valid dropoffs and no order-level PIN; a food order
// has no dropoffs.
func parcelShapeOK(p *OrderPlace) bool {
	if !p.Parcel {
		return len(p.Dropoffs) == 0
	}
	if p.Fulfilment != FulfilDelivery || len(p.Dropoffs) == 0 || len(p.Dropoffs) > MaxDropoffs || len(p.PINHash) != 0 {
		return false
	}
	for i := range p.Dropoffs {
		d := &p.Dropoffs[i]
		if !d.Area.Valid() || (len(d.PINHash) != 0 && len(d.PINHash) != sha256.Size) {
			return false
		}
	}
	return true
}

// resetTasks makes every task of a delivery order TODO, times cleared.
func (s *OrderState) resetTasks() {
	s.Pickup, s.Dropoff = Task{Status: TaskTodo}, Task{Status: TaskTodo}
	if s.Place.Parcel {
		s.Stops = make([]Stop, len(s.Place.Dropoffs))
		for i := range s.Stops {
			s.Stops[i] = Stop{Task: Task{Status: TaskTodo}}
		}
	}
}

// tasks returns every task of the order: pickup, dropoff, then the stops.
func (s *OrderState) tasks() []*Task {
	out := []*Task{&s.Pickup, &s.Dropoff}
	for i := range s.Stops {
		out = append(out, &s.Stops[i].Task)
	}
	return out
}

// stop returns the 1-based stop n, or nil.
func (s *OrderState) stop(n uint16) *Stop {
	if n == 0 || int(n) > len(s.Stops) {
		return nil
	}
	return &s.Stops[n-1]
}

func (s *OrderState) startStop(e *Event, n uint16) Reason {
	st := s.stop(n)
	if st == nil {
		return ReasonBadField
	}
	if !s.is(StatusPickedUp) || st.Status != TaskTodo {
		return ReasonBadTransition
	}
	st.Status, st.StartedAt = TaskDoing, e.Wall
	s.stopsMoved(e)
	return ReasonOK
}

func (s *OrderState) deliverStop(e *Event, b *TaskDeliver) Reason {
	st := s.stop(b.Stop)
	if st == nil {
		return ReasonBadField
	}
	if st.Status != TaskTodo && st.Status != TaskDoing {
		return ReasonBadTransition
	}
	if h := s.Place.Dropoffs[b.Stop-1].PINHash; len(h) == sha256.Size && !PINMatches(s.Customer, b.Proof.PIN, h) {
		return ReasonPINMismatch
	}
	proof := b.Proof
	proof.PIN = "" // never kept in state
	st.Proof = &proof
	st.Status, st.DoneAt = TaskDone, e.Wall
	s.settleStops(e, "")
	return ReasonOK
}

func (s *OrderState) failStop(e *Event, b *TaskFail) Reason {
	st := s.stop(b.Stop)
	if st == nil {
		return ReasonBadField
	}
	if !s.is(StatusPickedUp) || (st.Status != TaskTodo && st.Status != TaskDoing) {
		return ReasonBadTransition
	}
	st.Status, st.DoneAt, st.FailReason = TaskFailed, e.Wall, b.Reason
	s.settleStops(e, b.Reason)
	return ReasonOK
}

// stopsMoved marks the summary dropoff task DOING from the first stop that
// starts or ends.
func (s *OrderState) stopsMoved(e *Event) {
	if s.Dropoff.Status == TaskTodo {
		s.Dropoff.Status, s.Dropoff.StartedAt = TaskDoing, e.Wall
	}
}

// settleStops ends the order once every stop is DONE or FAILED: delivered
// if any stop was delivered, else failed with the last failure's reason.
func (s *OrderState) settleStops(e *Event, reason string) {
	s.stopsMoved(e)
	anyDone := false
	for _, st := range s.Stops {
		switch st.Status {
		case TaskDone:
			anyDone = true
		case TaskFailed:
		default:
			return
		}
	}
	s.Dropoff.DoneAt = e.Wall
	if anyDone {
		s.Status, s.Dropoff.Status = StatusDelivered, TaskDone
		return
	}
	s.Status, s.Reason = StatusFailed, reason
	s.Dropoff.Status, s.Dropoff.FailReason = TaskFailed, reason
}

// rate applies an order.rate: the customer's latest rating of a finished
// order replaces any earlier one.
func (s *OrderState) rate(e *Event, b *OrderRate) Reason {
	if !s.is(StatusDelivered, StatusFulfilled) {
		return ReasonBadTransition
	}
	if b.RestaurantStars > MaxStars || b.CourierStars > MaxStars || (b.RestaurantStars == 0 && b.CourierStars == 0) {
		return ReasonBadField
	}
	if (s.Place.Parcel && b.RestaurantStars != 0) || (!s.delivery() && b.CourierStars != 0) {
		return ReasonBadField
	}
	s.Rating = &Rating{RestaurantStars: b.RestaurantStars, CourierStars: b.CourierStars, Comment: b.Comment, At: e.Wall, Event: e.ID}
	return ReasonOK
}

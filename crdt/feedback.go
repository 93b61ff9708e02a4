package crdt

// Feedback in the order fold (issue 16; SPEC.md §21.4): ratings both ways
// and incident reports. The customer rates with order.rate (§16.8); the
// restaurant and the courier who carried the order rate each other and
// the customer with order.feedback; any party, or a dispatcher, reports an
// incident with incident.report. Only a party of the order may rate it,
// once it is finished and within FeedbackWindowMillis; a rater's latest
// rating of a party replaces its earlier one.

// Parties an order.feedback rates or an incident names (SPEC.md §21.4.1).
const (
	PartyCourier    uint8 = 1
	PartyRestaurant uint8 = 2
	PartyCustomer   uint8 = 3
)

// FeedbackWindowMillis is how long after an order finishes its parties may
// rate it or report an incident: 14 days (SPEC.md §21.4.2). A late grudge
// cannot move a reputation.
const FeedbackWindowMillis = 14 * 24 * 3600 * 1000

// Incident categories (SPEC.md §21.4.1).
var IncidentCategories = []string{"late", "damaged", "missing_item", "wrong_address", "unsafe", "rude", "no_show", "other"}

// OrderFeedback (kind 72) is a rating by the restaurant or the courier of
// another party of a finished order.
type OrderFeedback struct {
	Of      uint8  `cbor:"1,keyasint,omitempty" json:"of"`    // PartyCourier, PartyRestaurant or PartyCustomer
	Stars   uint8  `cbor:"2,keyasint,omitempty" json:"stars"` // 1..5
	Comment string `cbor:"3,keyasint,omitempty" json:"comment,omitempty"`
}

// IncidentReport (kind 73) reports something that went wrong with an
// order.
type IncidentReport struct {
	Category string `cbor:"1,keyasint,omitempty" json:"category"`
	// Against names the party at fault, if the reporter says; 0: none.
	Against uint8  `cbor:"2,keyasint,omitempty" json:"against,omitempty"`
	Text    string `cbor:"3,keyasint,omitempty" json:"text,omitempty"`
}

func (*OrderFeedback) Kind() Kind  { return KindOrderFeedback }
func (*IncidentReport) Kind() Kind { return KindIncidentReport }

// Feedback is one party's rating of another in the order state.
type Feedback struct {
	By      PubKey `json:"by"` // the rater's member key
	From    uint8  `json:"from"`
	Of      uint8  `json:"of"`
	Stars   uint8  `json:"stars"`
	Comment string `json:"comment,omitempty"`
	At      int64  `json:"at"`
	Event   ID     `json:"event"`
}

// Incident is a reported incident in the order state.
type Incident struct {
	By       PubKey `json:"by"` // the reporter: a member key, or the customer's key
	From     uint8  `json:"from"`
	Category string `json:"category"`
	Against  uint8  `json:"against,omitempty"`
	Text     string `json:"text,omitempty"`
	At       int64  `json:"at"`
	Event    ID     `json:"event"`
}

// FinishedAt is the wall time the order finished: of the event that
// delivered, fulfilled or failed it; 0 while it has not.
func (s *OrderState) FinishedAt() int64 {
	if !s.is(StatusDelivered, StatusFulfilled, StatusFailed) {
		return 0
	}
	for i := len(s.Steps) - 1; i >= 0; i-- {
		switch s.Steps[i].Kind {
		case KindTaskDeliver, KindOrderFulfil, KindTaskFail:
			return s.Steps[i].Wall
		}
	}
	return 0
}

// partyOf says which party the actor is on this order, holder checks
// included: 0 if none.
func (s *OrderState) partyOf(a actor) uint8 {
	switch {
	case a.restaurant:
		return PartyRestaurant
	case a.customer:
		return PartyCustomer
	case !a.member.IsZero() && a.member == s.Holder:
		return PartyCourier
	}
	return 0
}

// feedback applies an order.feedback (SPEC.md §21.4.2).
func (s *OrderState) feedback(e *Event, b *OrderFeedback, a actor) Reason {
	from := s.partyOf(a)
	switch {
	case from == 0 || from == PartyCustomer:
		return ReasonNotParty // customers rate with order.rate
	case s.FinishedAt() == 0:
		return ReasonBadTransition
	case e.Wall > s.FinishedAt()+FeedbackWindowMillis:
		return ReasonFeedbackClosed
	case b.Stars == 0 || b.Stars > MaxStars || b.Of == 0 || b.Of > PartyCustomer || b.Of == from:
		return ReasonBadField
	case b.Of == PartyCourier && !s.HasHolder():
		return ReasonNoHolder
	}
	for i, f := range s.Feedback {
		if f.From == from && f.Of == b.Of {
			s.Feedback = append(s.Feedback[:i], s.Feedback[i+1:]...)
			break
		}
	}
	s.Feedback = append(s.Feedback, Feedback{By: a.member, From: from, Of: b.Of, Stars: b.Stars, Comment: b.Comment, At: e.Wall, Event: e.ID})
	return ReasonOK
}

// incident applies an incident.report (SPEC.md §21.4.2).
func (s *OrderState) incident(e *Event, b *IncidentReport, a actor) Reason {
	from := s.partyOf(a)
	by := a.member
	if from == PartyCustomer {
		by = s.Customer
	}
	switch {
	case from == 0 && !a.dispatcher:
		return ReasonNotParty
	case s.FinishedAt() != 0 && e.Wall > s.FinishedAt()+FeedbackWindowMillis:
		return ReasonFeedbackClosed
	case !oneOf(b.Category, IncidentCategories...):
		return ReasonBadReason
	case b.Against > PartyCustomer || (b.Against != 0 && b.Against == from):
		return ReasonBadField
	}
	s.Incidents = append(s.Incidents, Incident{By: by, From: from, Category: b.Category, Against: b.Against, Text: b.Text, At: e.Wall, Event: e.ID})
	return ReasonOK
}

// hashFeedback feeds the ratings and incidents to an order state hash
// (SPEC.md §21.4.3); nothing when there are none.
func (s *OrderState) hashFeedback(h *hasher) {
	if len(s.Feedback) == 0 && len(s.Incidents) == 0 {
		return
	}
	h.str("feedback/v1")
	h.u64(uint64(len(s.Feedback)))
	for _, f := range s.Feedback {
		h.u64(uint64(f.From))
		h.u64(uint64(f.Of))
		h.u64(uint64(f.Stars))
		h.id(f.Event)
	}
	h.u64(uint64(len(s.Incidents)))
	for _, x := range s.Incidents {
		h.id(x.Event)
	}
}

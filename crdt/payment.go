package crdt

import "errors"

// Payments (SPEC.md §20). An order records how it is paid as signed
// order.payment events, each by the party entitled to say so: the
// restaurant for an online payment (its node holds the provider account
// and learns the result from the provider), the courier holding the order
// or the restaurant for a payment on delivery. The fold keeps one payment
// per order, its latest state; the amount is checked against the order's
// total, so nothing is marked paid for another amount.

// PaymentMethod is how a customer pays an order (SPEC.md §20.1).
type PaymentMethod uint8

// Payment methods. PayUnstated is an order.place that names none (orders
// from before payments); it counts as cash on delivery.
const (
	PayUnstated PaymentMethod = 0
	PayCash     PaymentMethod = 1 // cash on delivery (or at the counter)
	PayCard     PaymentMethod = 2 // card on delivery, on the restaurant's terminal
	PayOnline   PaymentMethod = 3 // online, through the restaurant's own provider account
)

var methodNames = [...]string{"unstated", "cash", "card", "online"}

func (m PaymentMethod) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return "unknown"
}

// MarshalText makes methods readable in JSON.
func (m PaymentMethod) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses a method name.
func (m *PaymentMethod) UnmarshalText(b []byte) error {
	if len(b) == 0 || string(b) == "unstated" {
		*m = PayUnstated
		return nil
	}
	v, ok := ParsePaymentMethod(string(b))
	if !ok {
		return ErrUnknownPaymentMethod
	}
	*m = v
	return nil
}

// ErrUnknownPaymentMethod: a method name other than cash, card or online.
var ErrUnknownPaymentMethod = errors.New("crdt: unknown payment method (want cash, card or online)")

// ParsePaymentMethod returns the method with the given name.
func ParsePaymentMethod(name string) (PaymentMethod, bool) {
	for i, n := range methodNames {
		if n == name && i != 0 {
			return PaymentMethod(i), true
		}
	}
	return 0, false
}

// Valid reports whether m is cash, card or online.
func (m PaymentMethod) Valid() bool { return m >= PayCash && m <= PayOnline }

// Effective is the method an order's payment events must name: the
// place's, or cash when the place names none.
func (m PaymentMethod) Effective() PaymentMethod {
	if m == PayUnstated {
		return PayCash
	}
	return m
}

// OnDelivery reports whether the money changes hands at the handover.
func (m PaymentMethod) OnDelivery() bool { return m == PayCash || m == PayCard }

// PaymentMethods is a set of methods a restaurant offers, as bits
// (SPEC.md §20.1): 1 cash, 2 card on delivery, 4 online. Zero is cash
// only.
type PaymentMethods uint8

// Bits of PaymentMethods.
const (
	OfferCash   PaymentMethods = 1
	OfferCard   PaymentMethods = 2
	OfferOnline PaymentMethods = 4

	allOffers = OfferCash | OfferCard | OfferOnline
)

// Valid reports whether ms uses only defined bits.
func (ms PaymentMethods) Valid() bool { return ms&^allOffers == 0 }

// Offers reports whether m is offered; an empty set offers cash.
func (ms PaymentMethods) Offers(m PaymentMethod) bool {
	if ms == 0 {
		ms = OfferCash
	}
	if !m.Valid() {
		return false
	}
	return ms&(1<<(m-1)) != 0
}

// PaymentState is where a payment stands (SPEC.md §20.2).
type PaymentState uint8

// Payment states.
const (
	PayNone       PaymentState = 0
	PayPending    PaymentState = 1 // an online payment is open at the provider
	PayAuthorised PaymentState = 2 // the provider holds the money, not yet captured
	PayPaid       PaymentState = 3
	PayRefunded   PaymentState = 4
	PayFailed     PaymentState = 5 // declined, abandoned or not collected
)

var payStateNames = [...]string{"none", "pending", "authorised", "paid", "refunded", "failed"}

func (p PaymentState) String() string {
	if int(p) < len(payStateNames) {
		return payStateNames[p]
	}
	return "unknown"
}

// MarshalText makes states readable in JSON.
func (p PaymentState) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// OrderPayment (kind 71) records a payment's new state (SPEC.md §20.2).
type OrderPayment struct {
	State       PaymentState  `cbor:"1,keyasint,omitempty" json:"state"`
	Method      PaymentMethod `cbor:"2,keyasint,omitempty" json:"method"`
	AmountCents int64         `cbor:"3,keyasint,omitempty" json:"amount_cents,omitempty"`
	// Provider names the online provider ("stripe"); Ref is its
	// reference for the payment (a PaymentIntent ID). Online only.
	Provider string `cbor:"4,keyasint,omitempty" json:"provider,omitempty"`
	Ref      string `cbor:"5,keyasint,omitempty" json:"ref,omitempty"`
	// Reason says why a payment failed or was refunded ("card_declined",
	// "cancelled").
	Reason string `cbor:"6,keyasint,omitempty" json:"reason,omitempty"`
}

func (*OrderPayment) Kind() Kind { return KindOrderPayment }

// Payment is an order's payment in its state (SPEC.md §20.2).
type Payment struct {
	Method      PaymentMethod `json:"method"`
	State       PaymentState  `json:"state"`
	AmountCents int64         `json:"amount_cents"`
	Provider    string        `json:"provider,omitempty"`
	Ref         string        `json:"ref,omitempty"`
	Reason      string        `json:"reason,omitempty"`
	At          int64         `json:"at"`    // wall of the latest applied order.payment
	Event       ID            `json:"event"` // that event
	// PaidAt is the wall of the event that made it paid (kept through a
	// refund), 0 if never paid.
	PaidAt int64 `json:"paid_at,omitempty"`
}

// PaymentState returns the order's payment state (PayNone before any).
func (s *OrderState) PaymentState() PaymentState {
	if s.Payment == nil {
		return PayNone
	}
	return s.Payment.State
}

// pay applies an order.payment (SPEC.md §20.2), checking in the order the
// spec lists.
func (s *OrderState) pay(e *Event, b *OrderPayment, a actor) Reason {
	if !b.State.valid() || !b.Method.Valid() {
		return ReasonBadField
	}
	if b.Method != s.Place.Payment.Effective() {
		return ReasonPaymentMethod
	}
	cur := PayNone
	if s.Payment != nil {
		cur = s.Payment.State
	}
	if r := s.payAuthor(b, a); r != ReasonOK {
		return r
	}
	if !payTransition(b.Method, cur, b.State) {
		return ReasonBadTransition
	}
	if b.State == PayPending && s.is(StatusRefused, StatusCancelled) {
		return ReasonBadTransition // no new payment for an order that will not be served
	}
	if b.Method.OnDelivery() && b.State != PayRefunded && s.is(StatusPlaced, StatusRefused, StatusCancelled) {
		return ReasonBadTransition // money changes hands only for an accepted order
	}
	if b.Method == PayOnline {
		if b.Ref == "" || b.Provider == "" {
			return ReasonBadField
		}
		if b.State != PayPending && (b.Ref != s.Payment.Ref || b.Provider != s.Payment.Provider) {
			return ReasonPaymentRef
		}
	}
	switch b.State {
	case PayPending, PayAuthorised, PayPaid:
		if b.AmountCents != s.Place.Totals.TotalCents {
			return ReasonAmountMismatch
		}
	case PayRefunded:
		if b.AmountCents != s.Payment.AmountCents {
			return ReasonAmountMismatch
		}
	case PayFailed:
		if b.AmountCents != 0 && b.AmountCents != s.Place.Totals.TotalCents {
			return ReasonAmountMismatch
		}
	}
	p := &Payment{Method: b.Method, State: b.State, AmountCents: b.AmountCents, Provider: b.Provider, Ref: b.Ref,
		Reason: b.Reason, At: e.Wall, Event: e.ID}
	if s.Payment != nil {
		p.PaidAt = s.Payment.PaidAt
		if b.State == PayRefunded || b.State == PayFailed {
			p.AmountCents = s.Payment.AmountCents
		}
	}
	if b.State == PayFailed && p.AmountCents == 0 {
		p.AmountCents = s.Place.Totals.TotalCents
	}
	if b.State == PayPaid {
		p.PaidAt = e.Wall
	}
	s.Payment = p
	return ReasonOK
}

func (p PaymentState) valid() bool { return p >= PayPending && p <= PayFailed }

// payAuthor is the state-dependent authority of SPEC.md §20.2: online
// payments and every refund are the restaurant's word; a payment on
// delivery is the holder's (delivery) or the restaurant's.
func (s *OrderState) payAuthor(b *OrderPayment, a actor) Reason {
	if b.Method == PayOnline || b.State == PayRefunded || !s.delivery() {
		if !a.restaurant {
			return ReasonNotRestaurant
		}
		return ReasonOK
	}
	if a.restaurant {
		return ReasonOK
	}
	if !s.HasHolder() {
		return ReasonNoHolder
	}
	if a.member != s.Holder {
		return ReasonNotHolder
	}
	return ReasonOK
}

// payTransition is the transition table of SPEC.md §20.2.
func payTransition(m PaymentMethod, from, to PaymentState) bool {
	if m == PayOnline {
		switch to {
		case PayPending:
			return from == PayNone || from == PayFailed
		case PayAuthorised:
			return from == PayPending
		case PayPaid, PayFailed:
			return from == PayPending || from == PayAuthorised
		case PayRefunded:
			return from == PayPaid || from == PayAuthorised
		}
		return false
	}
	switch to {
	case PayPaid:
		return from == PayNone || from == PayFailed
	case PayFailed:
		return from == PayNone
	case PayRefunded:
		return from == PayPaid
	}
	return false
}

// hash feeds the payment/v1 section of the order state hash (SPEC.md
// §20.4).
func (p *Payment) hash(h *hasher) {
	h.str("payment/v1")
	h.u64(uint64(p.Method))
	h.u64(uint64(p.State))
	h.i64(p.AmountCents)
	h.str(p.Provider)
	h.str(p.Ref)
	h.str(p.Reason)
	h.i64(p.At)
	h.i64(p.PaidAt)
	h.id(p.Event)
}

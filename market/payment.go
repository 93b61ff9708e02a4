package market

import (
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// PayAction is what a restaurant's node owes an order's online payment
// (SPEC.md §20.3.4): a pure decision on the order's state, which the node
// carries out with its provider and records as an order.payment event.
type PayAction uint8

// Payment duties.
const (
	PayNothing PayAction = iota
	// PayPoll: the payment is open at the provider and the order will be
	// served: ask the provider how it stands.
	PayPoll
	// PayRefund: the money was taken (paid or authorised) and the order
	// was cancelled or refused: refund it (or release the authorisation).
	PayRefund
	// PayVoid: the payment is still open and the order was cancelled or
	// refused: cancel it at the provider and record it failed.
	PayVoid
)

var payActionNames = [...]string{"nothing", "poll", "refund", "void"}

func (a PayAction) String() string {
	if int(a) < len(payActionNames) {
		return payActionNames[a]
	}
	return "unknown"
}

// PaymentDuty decides what the restaurant owes the online payment of
// order s. It changes nothing: once the node records the result, the
// state shows it and the decision returns PayNothing (or PayPoll while
// the provider has not settled).
func PaymentDuty(s *crdt.OrderState) PayAction {
	p := s.Payment
	if p == nil || p.Method != crdt.PayOnline {
		return PayNothing
	}
	dropped := s.Status == crdt.StatusCancelled || s.Status == crdt.StatusRefused || s.Status == crdt.StatusInvalid
	switch p.State {
	case crdt.PayPaid, crdt.PayAuthorised:
		if dropped {
			return PayRefund
		}
		if p.State == crdt.PayAuthorised {
			return PayPoll
		}
	case crdt.PayPending:
		if dropped {
			return PayVoid
		}
		return PayPoll
	}
	return PayNothing
}

// ProviderStatus is what a payment provider says of a payment, in the
// provider's neutral terms (SPEC.md §20.3.3).
type ProviderStatus struct {
	Ref         string            `json:"ref"`
	State       crdt.PaymentState `json:"state"` // PayPending, PayAuthorised, PayPaid, PayFailed or PayRefunded
	AmountCents int64             `json:"amount_cents"`
	Currency    string            `json:"currency"`
	// Order is the order ID the payment was created for (its metadata).
	Order string `json:"order"`
	// Reason is the provider's decline or failure code, if any.
	Reason string `json:"reason,omitempty"`
}

// PaymentUpdate turns what the provider says into the order.payment to
// record, or ok false when there is nothing new (SPEC.md §20.3.3). It
// refuses, recording nothing, a status for another payment reference or
// order (ErrPaymentMismatch) and an amount or currency other than the
// order's (ErrAmountMismatch): nothing is marked paid for another amount.
func PaymentUpdate(s *crdt.OrderState, currency string, st ProviderStatus) (*crdt.OrderPayment, bool, error) {
	p := s.Payment
	if p == nil || p.Method != crdt.PayOnline {
		return nil, false, refuse(ErrPaymentMismatch, "order %s has no online payment", s.ID.Short())
	}
	if st.Ref != p.Ref || (st.Order != "" && st.Order != s.ID.String()) {
		return nil, false, refuse(ErrPaymentMismatch, "payment %s (order %s) is not order %s's payment %s", st.Ref, st.Order, s.ID.Short(), p.Ref)
	}
	if st.State == p.State || st.State == crdt.PayPending {
		return nil, false, nil
	}
	if st.State != crdt.PayFailed && (st.AmountCents != s.Place.Totals.TotalCents || (currency != "" && !sameCurrency(st.Currency, currency))) {
		return nil, false, refuse(ErrAmountMismatch, "the provider reports %d %s, the order's total is %d %s", st.AmountCents, st.Currency, s.Place.Totals.TotalCents, currency)
	}
	out := &crdt.OrderPayment{State: st.State, Method: crdt.PayOnline, AmountCents: s.Place.Totals.TotalCents, Provider: p.Provider, Ref: p.Ref, Reason: st.Reason}
	if st.State == crdt.PayFailed {
		out.AmountCents = 0
	}
	if st.State == crdt.PayRefunded {
		out.AmountCents = p.AmountCents
	}
	return out, true, nil
}

func sameCurrency(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// The poll schedule of an open online payment (SPEC.md §20.3.3).
const (
	PollFast    = 5 * time.Second  // every 5 s …
	PollFastFor = 2 * time.Minute  // … for the first 2 minutes after pending,
	PollSlow    = 30 * time.Second // then every 30 s,
	PollExpiry  = 24 * time.Hour   // for at most 24 hours
)

// PollVerdict says whether an open payment is polled now.
type PollVerdict uint8

// Poll verdicts.
const (
	PollNow     PollVerdict = iota
	PollLater               // polled too recently
	PollExpired             // open too long: cancel it and record it failed ("expired")
)

// PollDue decides whether the open payment p is polled at now, given when
// it was last polled (zero: never). The payer ticks every PollFast.
func PollDue(p *crdt.Payment, now, last time.Time) PollVerdict {
	open := now.Sub(time.UnixMilli(p.At))
	switch {
	case open > PollExpiry:
		return PollExpired
	case !last.IsZero() && open > PollFastFor && now.Sub(last) < PollSlow:
		return PollLater
	}
	return PollNow
}

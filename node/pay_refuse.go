package node

import (
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// Precise refusals of a payment recorded by hand (SPEC.md §20.2), said
// before anything is signed: the fold would refuse these with its one
// invalid_transition, which tells a restaurant nothing about why.
const (
	CodePaymentAlreadyPaid     = "payment_already_paid"
	CodePaymentNotPaid         = "payment_not_paid"
	CodePaymentAlreadyRefunded = "payment_already_refunded"
	CodePaymentBeforeAccept    = "payment_before_accept"
)

// payRefusal says why recording state for order s by hand would be
// refused, or nil to let the fold decide.
func payRefusal(s *crdt.OrderState, state crdt.PaymentState) *RefusedError {
	cur := s.PaymentState()
	m := s.Place.Payment.Effective()
	refuse := func(code, detail string) *RefusedError {
		return &RefusedError{Kind: "order.payment", Reason: code, Detail: detail}
	}
	at := func() string {
		if s.Payment == nil || s.Payment.PaidAt == 0 {
			return ""
		}
		return " at " + time.UnixMilli(s.Payment.PaidAt).UTC().Format(time.RFC3339)
	}
	switch state {
	case crdt.PayPaid, crdt.PayFailed:
		switch cur {
		case crdt.PayPaid:
			who := "the restaurant"
			if m == crdt.PayCash && s.Place.Fulfilment == crdt.FulfilDelivery {
				who = "the courier, who took the cash,"
			}
			return refuse(CodePaymentAlreadyPaid, "order "+s.ID.Short()+" is already paid: "+who+" recorded it"+at()+
				"; nothing more to record (the month's invoice settles the cash between the courier, the coop and the restaurant)")
		case crdt.PayRefunded:
			return refuse(CodePaymentAlreadyRefunded, "order "+s.ID.Short()+" was paid, then refunded: nothing more to record")
		}
		if m.OnDelivery() && (s.Status == crdt.StatusPlaced || s.Status == crdt.StatusRefused || s.Status == crdt.StatusCancelled) {
			return refuse(CodePaymentBeforeAccept, "order "+s.ID.Short()+" is "+s.Status.String()+": money changes hands only for an accepted order")
		}
	case crdt.PayRefunded:
		switch cur {
		case crdt.PayRefunded:
			return refuse(CodePaymentAlreadyRefunded, "order "+s.ID.Short()+" was already refunded"+at())
		case crdt.PayPaid:
		case crdt.PayAuthorised:
			if m == crdt.PayOnline {
				return nil
			}
			fallthrough
		default:
			return refuse(CodePaymentNotPaid, "order "+s.ID.Short()+"'s payment is "+cur.String()+": only a payment recorded paid can be refunded")
		}
	}
	return nil
}

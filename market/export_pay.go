package market

import (
	"fmt"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// Payment exports (SPEC.md §16.10.5, §16.10.6, §20.5): who took each
// order's money, what was refunded, and the tip owed wholly to the
// courier; and a restaurant's monthly invoice of orders, fees and payouts
// between the restaurant, the coop and its couriers.

// PaymentsHeader is the header of ExportPayments (SPEC.md §16.10.5).
var PaymentsHeader = []string{"day", "order", "kind", "status", "restaurant", "restaurant_name", "courier", "courier_name",
	"method", "payment_state", "reason", "total_cents", "tip_cents", "paid_cents", "refunded_cents", "provider", "ref",
	"collected_by", "tip_to_courier_cents"}

// money is what an order's payment means for the books.
type money struct {
	paid, refunded, kept int64  // kept = paid − refunded
	collectedBy          string // "courier", "restaurant" or "" (nothing taken)
	tip                  int64  // owed to the courier
}

// moneyOf reads an order's payment for the books. Only a payment recorded
// paid (or paid, then refunded) counts as taken; the tip is owed to the
// courier of a delivered order whose money was not given back.
func moneyOf(s *crdt.OrderState) money {
	var m money
	p := s.Payment
	if p != nil && p.PaidAt != 0 {
		m.paid = p.AmountCents
		if p.State == crdt.PayRefunded {
			m.refunded = p.AmountCents
		}
		m.collectedBy = "restaurant"
		if p.Method == crdt.PayCash && s.Place.Fulfilment == crdt.FulfilDelivery {
			m.collectedBy = "courier"
		}
	}
	m.kept = m.paid - m.refunded
	if s.Status == crdt.StatusDelivered && !s.Holder.IsZero() && m.refunded == 0 {
		m.tip = s.Place.Totals.TipCents
	}
	return m
}

// ExportPayments lists one row per order: its method, payment state, what
// was taken and refunded, who holds the money and the tip owed to the
// courier (SPEC.md §16.10.5).
func ExportPayments(coop *crdt.CoopState, orders []*crdt.OrderState, f Filter) (*Table, error) {
	x, err := newExporter(coop)
	if err != nil {
		return nil, err
	}
	sel, err := x.selected(orders, f)
	if err != nil {
		return nil, err
	}
	t := &Table{Header: PaymentsHeader}
	for _, s := range sel {
		m := moneyOf(s)
		provider, ref, reason := "", "", ""
		if p := s.Payment; p != nil {
			provider, ref, reason = p.Provider, p.Ref, p.Reason
		}
		t.Rows = append(t.Rows, []string{x.day(s), s.ID.String(), kindOf(s), s.Status.String(), key(s.Restaurant), x.name(s.Restaurant),
			key(s.Holder), x.name(s.Holder), s.Place.Payment.Effective().String(), s.PaymentState().String(), reason,
			i64(s.Place.Totals.TotalCents), i64(s.Place.Totals.TipCents), i64(m.paid), i64(m.refunded), provider, ref,
			m.collectedBy, i64(m.tip)})
	}
	return t, nil
}

// InvoiceHeader is the header of ExportInvoice (SPEC.md §16.10.6).
var InvoiceHeader = []string{"day", "order", "kind", "status", "method", "payment_state", "items_cents", "delivery_cents",
	"tip_cents", "total_cents", "kept_cents", "collected_by", "platform_fee_cents", "restaurant_net_cents", "courier",
	"courier_name", "courier_pay_cents", "tip_to_courier_cents", "restaurant_owes_coop_cents"}

// ExportInvoice is one restaurant's invoice for one month (f.Month,
// "2006-01", and f.Restaurant are required): one row per order of the
// month that was served (delivered or fulfilled) or whose money moved,
// then a "total" row (SPEC.md §16.10.6). restaurant_owes_coop_cents, for
// a served order, is what the restaurant owes the coop: the money it
// kept, less its net and the tip it passes on to the courier (so the
// platform fee and the delivery fee); negative when the courier took the
// cash (the coop owes the restaurant its net); empty when no payment was
// recorded (collected_by "unrecorded", settled by hand).
func ExportInvoice(coop *crdt.CoopState, orders []*crdt.OrderState, f Filter) (*Table, error) {
	if f.Restaurant.IsZero() {
		return nil, fmt.Errorf("%w: an invoice needs a restaurant", ErrBadFilter)
	}
	month, err := time.Parse("2006-01", f.Month)
	if err != nil {
		return nil, fmt.Errorf("%w: month %q, want YYYY-MM", ErrBadFilter, f.Month)
	}
	x, err := newExporter(coop)
	if err != nil {
		return nil, err
	}
	f.Day = ""
	sel, err := x.selected(orders, f)
	if err != nil {
		return nil, err
	}
	t := &Table{Header: InvoiceHeader}
	var sum [12]int64
	prefix := month.Format("2006-01")
	for _, s := range sel {
		day := x.day(s)
		m := moneyOf(s)
		served := s.Status == crdt.StatusDelivered || s.Status == crdt.StatusFulfilled
		if day[:7] != prefix || (!served && m.paid == 0) {
			continue
		}
		p := &s.Place
		var fee, net, pay int64
		if served {
			if rc, err := RepriceWith(x.rulesOf(s), s); err == nil {
				fee, net = rc.PlatformFeeCents, rc.RestaurantNetCents
			}
			if pp, ok := x.coursePay(s); ok {
				pay = pp.TotalCents
			}
		}
		collected, owes := m.collectedBy, ""
		var owed int64
		switch {
		case !served:
			// not served: the money kept is the customer's until refunded
		case m.collectedBy == "restaurant":
			owed = m.kept - net - m.tip
			owes = i64(owed)
		case m.collectedBy == "courier":
			owed = -net
			owes = i64(owed)
		default:
			collected = "unrecorded" // no payment recorded: settled by hand
		}
		delivery := p.Totals.DeliveryCents
		if !served {
			delivery = 0
		}
		vals := []int64{p.Totals.ItemsCents, delivery, p.Totals.TipCents, p.Totals.TotalCents, m.kept, 0, fee, net, pay, m.tip, owed}
		for i, v := range vals {
			sum[i], _ = add(sum[i], v)
		}
		t.Rows = append(t.Rows, []string{day, s.ID.String(), kindOf(s), s.Status.String(), p.Payment.Effective().String(),
			s.PaymentState().String(), i64(p.Totals.ItemsCents), i64(delivery), i64(p.Totals.TipCents), i64(p.Totals.TotalCents),
			i64(m.kept), collected, i64(fee), i64(net), key(s.Holder), x.name(s.Holder), i64(pay), i64(m.tip), owes})
	}
	t.Rows = append(t.Rows, []string{prefix, "total", "", "", "", "", i64(sum[0]), i64(sum[1]), i64(sum[2]), i64(sum[3]),
		i64(sum[4]), "", i64(sum[6]), i64(sum[7]), "", "", i64(sum[8]), i64(sum[9]), i64(sum[10])})
	return t, nil
}

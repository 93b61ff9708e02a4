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
// courier of a delivered order, even one the restaurant refunded later
// (SPEC.md §20.5: the refund is the restaurant's to bear).
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
	if s.Status == crdt.StatusDelivered && !s.Holder.IsZero() {
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

// InvoiceHeader is the header of ExportInvoice (SPEC.md §16.10.6). The
// last five columns settle each order between the three parties, each a
// non-negative amount owed in the direction its name says.
var InvoiceHeader = []string{"day", "order", "kind", "status", "method", "payment_state", "items_cents", "delivery_cents",
	"tip_cents", "total_cents", "kept_cents", "collected_by", "platform_fee_cents", "restaurant_net_cents", "courier",
	"courier_name", "courier_pay_cents", "tip_to_courier_cents",
	"restaurant_owes_coop_cents", "coop_owes_restaurant_cents", "restaurant_owes_courier_cents", "courier_owes_coop_cents",
	"coop_owes_courier_cents"}

// Settlement is what one order (or a month) leaves owed between the
// restaurant, the coop and the courier (SPEC.md §16.10.6), each amount
// non-negative, in the direction its name says.
type Settlement struct {
	RestaurantOwesCoop    int64 `json:"restaurant_owes_coop_cents"`
	CoopOwesRestaurant    int64 `json:"coop_owes_restaurant_cents"`
	RestaurantOwesCourier int64 `json:"restaurant_owes_courier_cents"` // the tip, when the restaurant took the money
	CourierOwesCoop       int64 `json:"courier_owes_coop_cents"`       // the cash it took, less the tip it keeps
	CoopOwesCourier       int64 `json:"coop_owes_courier_cents"`       // its pay for the job, tip apart
}

// settle settles a served order whose payment was recorded: whoever took
// the money pays each party its due. The coop is due the platform fee and
// the delivery fee, the courier the whole tip of a delivered order (even
// if the restaurant later refunded it) and its pay from the coop, the restaurant the rest: its net
// (and the tip of a collection order, which no courier earned). A refund
// of a served order is the restaurant's to bear: it still owes the coop
// its due.
func settle(m money, fee, delivery int64, pay Pay) Settlement {
	st := Settlement{CoopOwesCourier: pay.CoopCents()}
	coopDue := fee + delivery
	// what the restaurant holds: the money it took, less what it paid back
	held := -m.refunded
	if m.collectedBy == "restaurant" {
		held += m.paid
		st.RestaurantOwesCourier = m.tip
	} else {
		st.CourierOwesCoop = m.paid - m.tip
	}
	// the restaurant ends with the rest, or bears the refund
	due := m.kept - coopDue - m.tip
	if x := due - held + st.RestaurantOwesCourier; x >= 0 {
		st.CoopOwesRestaurant = x
	} else {
		st.RestaurantOwesCoop = -x
	}
	return st
}

// ExportInvoice is one restaurant's invoice for one month (f.Month,
// "2006-01", and f.Restaurant are required): one row per order of the
// month that was served (delivered or fulfilled) or whose money moved,
// then a "total" row summing the amounts and a "balance" row: what one of
// the restaurant and the coop pays the other to settle the month (SPEC.md
// §16.10.6). A served order's settlement columns say who owes whom
// (Settlement); they are empty when no payment was recorded
// (collected_by "unrecorded", settled by hand) and for an order not
// served (the money is the customer's until refunded).
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
	var sum [15]int64
	prefix := month.Format("2006-01")
	for _, s := range sel {
		day := x.day(s)
		m := moneyOf(s)
		served := s.Status == crdt.StatusDelivered || s.Status == crdt.StatusFulfilled
		if day[:7] != prefix || (!served && m.paid == 0) {
			continue
		}
		p := &s.Place
		var fee, net int64
		var pay Pay
		if served {
			if rc, err := RepriceWith(x.rulesOf(s), s); err == nil {
				fee, net = rc.PlatformFeeCents, rc.RestaurantNetCents
			}
			pay, _ = x.coursePay(s)
		}
		delivery := p.Totals.DeliveryCents
		if !served {
			delivery = 0
		}
		collected := m.collectedBy
		var st Settlement
		owes := make([]string, 5)
		switch {
		case !served:
		case m.collectedBy == "":
			collected = "unrecorded"
		default:
			st = settle(m, fee, delivery, pay)
			for i, v := range []int64{st.RestaurantOwesCoop, st.CoopOwesRestaurant, st.RestaurantOwesCourier, st.CourierOwesCoop, st.CoopOwesCourier} {
				owes[i] = i64(v)
			}
		}
		vals := []int64{p.Totals.ItemsCents, delivery, p.Totals.TipCents, p.Totals.TotalCents, m.kept, 0, fee, net, pay.TotalCents, m.tip,
			st.RestaurantOwesCoop, st.CoopOwesRestaurant, st.RestaurantOwesCourier, st.CourierOwesCoop, st.CoopOwesCourier}
		for i, v := range vals {
			sum[i], _ = add(sum[i], v)
		}
		t.Rows = append(t.Rows, append([]string{day, s.ID.String(), kindOf(s), s.Status.String(), p.Payment.Effective().String(),
			s.PaymentState().String(), i64(p.Totals.ItemsCents), i64(delivery), i64(p.Totals.TipCents), i64(p.Totals.TotalCents),
			i64(m.kept), collected, i64(fee), i64(net), key(s.Holder), x.name(s.Holder), i64(pay.TotalCents), i64(m.tip)}, owes...))
	}
	total := []string{prefix, "total", "", "", "", "", i64(sum[0]), i64(sum[1]), i64(sum[2]), i64(sum[3]), i64(sum[4]), "",
		i64(sum[6]), i64(sum[7]), "", "", i64(sum[8]), i64(sum[9])}
	for _, v := range sum[10:] {
		total = append(total, i64(v))
	}
	t.Rows = append(t.Rows, total)
	bal := MonthBalance(sum[10], sum[11])
	t.Rows = append(t.Rows, []string{prefix, "balance", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
		i64(bal.RestaurantOwesCoop), i64(bal.CoopOwesRestaurant), "", "", ""})
	return t, nil
}

// MonthBalance nets what the restaurant owes the coop against what the
// coop owes it: one of the two is non-zero, the other 0.
func MonthBalance(restaurantOwesCoop, coopOwesRestaurant int64) Settlement {
	if d := restaurantOwesCoop - coopOwesRestaurant; d >= 0 {
		return Settlement{RestaurantOwesCoop: d}
	}
	return Settlement{CoopOwesRestaurant: coopOwesRestaurant - restaurantOwesCoop}
}

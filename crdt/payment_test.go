package crdt

import (
	"math/rand"
	"testing"
)

// placePay builds an order.place by cust for resto paid by method m.
func (w *world) placePay(fulfil Fulfilment, m PaymentMethod) *Event {
	e := w.place("cust", fulfil)
	e.Body.(*OrderPlace).Payment = m
	return e
}

func online(state PaymentState, amount int64, ref string) *OrderPayment {
	return &OrderPayment{State: state, Method: PayOnline, AmountCents: amount, Provider: "stripe", Ref: ref}
}

// TestPaymentOnlineFlow: pending, paid, then refunded after a cancel, with
// the amount kept and the hash changing at each step (SPEC.md §20.2).
func TestPaymentOnlineFlow(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	place := w.placePay(FulfilDelivery, PayOnline)
	w.mustStore(r, place)
	h0 := w.order(r, place.ID).Hash()
	for i, step := range []struct {
		who  string
		body Payload
		want PaymentState
	}{
		{"resto", online(PayPending, 1950, "pi_1"), PayPending},
		{"resto", online(PayPaid, 1950, "pi_1"), PayPaid},
		{"resto", &OrderCancel{Reason: ReasonSoldOut}, PayPaid},
		{"resto", &OrderPayment{State: PayRefunded, Method: PayOnline, AmountCents: 1950, Provider: "stripe", Ref: "pi_1", Reason: "cancelled"}, PayRefunded},
	} {
		if _, out := w.act(r, step.who, place.ID, step.body); out.Status != Stored || out.Reason != ReasonOK {
			t.Fatalf("step %d: %s %s", i, out.Status, out.Reason)
		}
		s := w.order(r, place.ID)
		if s.PaymentState() != step.want {
			t.Fatalf("step %d: payment %s, want %s", i, s.PaymentState(), step.want)
		}
		if h := s.Hash(); h == h0 {
			t.Fatalf("step %d: hash unchanged", i)
		} else {
			h0 = h
		}
	}
	p := w.order(r, place.ID).Payment
	if p.AmountCents != 1950 || p.PaidAt == 0 || p.Reason != "cancelled" {
		t.Fatalf("refunded payment %+v", p)
	}
}

// TestPaymentRefusals: every refusal of §20.2, each with its reason and no
// change to the payment.
func TestPaymentRefusals(t *testing.T) {
	type step struct {
		who  string
		body Payload
	}
	cases := []struct {
		name   string
		method PaymentMethod
		fulfil Fulfilment
		before []step
		who    string
		body   Payload
		want   Reason
	}{
		{"customer marks paid", PayOnline, FulfilDelivery, nil, "cust", online(PayPaid, 1950, "pi_1"), ReasonNotRestaurant},
		{"stranger", PayOnline, FulfilDelivery, nil, "stranger", online(PayPending, 1950, "pi_1"), ReasonNotRestaurant},
		{"courier online", PayOnline, FulfilDelivery, nil, "c1", online(PayPending, 1950, "pi_1"), ReasonNotRestaurant},
		{"bad state", PayOnline, FulfilDelivery, nil, "resto", online(9, 1950, "pi_1"), ReasonBadField},
		{"no method", PayOnline, FulfilDelivery, nil, "resto", &OrderPayment{State: PayPending, AmountCents: 1950}, ReasonBadField},
		{"method not the order's", PayOnline, FulfilDelivery, nil, "resto", &OrderPayment{State: PayPaid, Method: PayCash, AmountCents: 1950}, ReasonPaymentMethod},
		{"online for an unstated order", PayUnstated, FulfilDelivery, nil, "resto", online(PayPending, 1950, "pi_1"), ReasonPaymentMethod},
		{"amount below the total", PayOnline, FulfilDelivery, nil, "resto", online(PayPending, 1000, "pi_1"), ReasonAmountMismatch},
		{"paid amount above the total", PayOnline, FulfilDelivery, []step{{"resto", online(PayPending, 1950, "pi_1")}}, "resto", online(PayPaid, 1951, "pi_1"), ReasonAmountMismatch},
		{"paid before pending", PayOnline, FulfilDelivery, nil, "resto", online(PayPaid, 1950, "pi_1"), ReasonBadTransition},
		{"paid for another ref", PayOnline, FulfilDelivery, []step{{"resto", online(PayPending, 1950, "pi_1")}}, "resto", online(PayPaid, 1950, "pi_2"), ReasonPaymentRef},
		{"no ref", PayOnline, FulfilDelivery, nil, "resto", online(PayPending, 1950, ""), ReasonBadField},
		{"refund before paid", PayOnline, FulfilDelivery, []step{{"resto", online(PayPending, 1950, "pi_1")}}, "resto", online(PayRefunded, 1950, "pi_1"), ReasonBadTransition},
		{"refund another amount", PayOnline, FulfilDelivery, []step{{"resto", online(PayPending, 1950, "pi_1")}, {"resto", online(PayPaid, 1950, "pi_1")}}, "resto", online(PayRefunded, 10, "pi_1"), ReasonAmountMismatch},
		{"paid twice", PayOnline, FulfilDelivery, []step{{"resto", online(PayPending, 1950, "pi_1")}, {"resto", online(PayPaid, 1950, "pi_1")}}, "resto", online(PayPaid, 1950, "pi_1"), ReasonBadTransition},
		{"pending after cancel", PayOnline, FulfilDelivery, []step{{"cust", &OrderCancel{Reason: ReasonCustomer}}}, "resto", online(PayPending, 1950, "pi_1"), ReasonBadTransition},
		{"cash before accept", PayCash, FulfilDelivery, nil, "resto", &OrderPayment{State: PayPaid, Method: PayCash, AmountCents: 1950}, ReasonBadTransition},
		{"cash pending", PayCash, FulfilDelivery, []step{{"resto", &OrderAccept{}}}, "resto", &OrderPayment{State: PayPending, Method: PayCash, AmountCents: 1950}, ReasonBadTransition},
		{"cash by a courier without holder", PayCash, FulfilDelivery, []step{{"resto", &OrderAccept{}}}, "c1", &OrderPayment{State: PayPaid, Method: PayCash, AmountCents: 1950}, ReasonNoHolder},
		{"cash by another courier", PayCash, FulfilDelivery, []step{{"resto", &OrderAccept{}}, {"c2", &CourierClaim{}}}, "c1", &OrderPayment{State: PayPaid, Method: PayCash, AmountCents: 1950}, ReasonNotHolder},
		{"card refund by the courier", PayCard, FulfilDelivery, []step{{"resto", &OrderAccept{}}, {"c1", &CourierClaim{}}, {"c1", &OrderPayment{State: PayPaid, Method: PayCard, AmountCents: 1950}}}, "c1", &OrderPayment{State: PayRefunded, Method: PayCard, AmountCents: 1950}, ReasonNotRestaurant},
		{"cash collection by a courier", PayCash, FulfilCollection, []step{{"resto", &OrderAccept{}}}, "c1", &OrderPayment{State: PayPaid, Method: PayCash, AmountCents: 1950}, ReasonNotRestaurant},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.fresh()
			place := w.placePay(c.fulfil, c.method)
			w.mustStore(r, place)
			for i, st := range c.before {
				if _, out := w.act(r, st.who, place.ID, st.body); out.Reason != ReasonOK {
					t.Fatalf("setup step %d: %s %s", i, out.Status, out.Reason)
				}
			}
			before := w.order(r, place.ID)
			bp, bh := before.Payment, before.Hash()
			_, out := w.act(r, c.who, place.ID, c.body)
			s := w.order(r, place.ID)
			got := out.Reason
			if got == ReasonOK {
				got = lastRejection(s)
			}
			if got != c.want {
				t.Fatalf("reason %q (%s), want %q", got, out.Status, c.want)
			}
			if s.Payment != bp && (s.Payment == nil || bp == nil || *s.Payment != *bp) {
				t.Fatalf("payment changed: %+v → %+v", bp, s.Payment)
			}
			_ = bh
		})
	}
}

// TestPaymentOnDelivery: the holder records cash taken at the door; the
// restaurant may refund it.
func TestPaymentOnDelivery(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	place := w.placePay(FulfilDelivery, PayUnstated) // counts as cash
	w.mustStore(r, place)
	for i, st := range []struct {
		who  string
		body Payload
	}{
		{"resto", &OrderAccept{}},
		{"c1phone", &CourierClaim{}},
		{"c1phone", &TaskPickup{}},
		{"c1phone", &OrderPayment{State: PayPaid, Method: PayCash, AmountCents: 1950}},
		{"c1phone", &TaskDeliver{}},
		{"resto", &OrderPayment{State: PayRefunded, Method: PayCash, AmountCents: 1950, Reason: "complaint"}},
	} {
		if _, out := w.act(r, st.who, place.ID, st.body); out.Status != Stored || out.Reason != ReasonOK {
			t.Fatalf("step %d (%T): %s %s", i, st.body, out.Status, out.Reason)
		}
	}
	if p := w.order(r, place.ID).Payment; p.State != PayRefunded || p.Method != PayCash || p.PaidAt == 0 {
		t.Fatalf("payment %+v", p)
	}
}

// genPayScenario is genScenario's order history with payment events mixed
// in, each written on a recent prefix of the history, so payments race
// with accepts, cancels and each other.
func genPayScenario(w *world, rng *rand.Rand) (place *Event, all []*Event) {
	m := []PaymentMethod{PayOnline, PayOnline, PayCash, PayCard, PayUnstated}[rng.Intn(5)]
	fulfil := FulfilDelivery
	if rng.Intn(6) == 0 {
		fulfil = FulfilCollection
	}
	place = w.placePay(fulfil, m)
	all = []*Event{place}
	refs := []string{"pi_a", "pi_b"}
	n := 4 + rng.Intn(12)
	for i := 0; i < n; i++ {
		k := len(all) - rng.Intn(min(len(all), 4))
		view := w.fresh()
		for _, e := range all[:k] {
			view.Apply(e)
		}
		var who string
		var body Payload
		switch rng.Intn(12) {
		case 0:
			who, body = "resto", &OrderAccept{}
		case 1:
			who, body = []string{"cust", "resto"}[rng.Intn(2)], &OrderCancel{Reason: []string{ReasonCustomer, ReasonSoldOut}[rng.Intn(2)]}
		case 2:
			who, body = "resto", &OrderRefuse{Reason: ReasonSoldOut}
		case 3:
			who, body = []string{"c1", "c2"}[rng.Intn(2)], &CourierClaim{}
		case 4:
			who, body = []string{"c1", "c2"}[rng.Intn(2)], &TaskPickup{}
		default:
			who = []string{"resto", "resto", "resto", "c1", "c2", "cust"}[rng.Intn(6)]
			amount := place.Body.(*OrderPlace).Totals.TotalCents
			if rng.Intn(8) == 0 {
				amount++
			}
			pm := m.Effective()
			if rng.Intn(10) == 0 {
				pm = PaymentMethod(1 + rng.Intn(3))
			}
			body = &OrderPayment{State: PaymentState(1 + rng.Intn(5)), Method: pm, AmountCents: amount,
				Provider: "stripe", Ref: refs[rng.Intn(len(refs))]}
		}
		all = append(all, w.on(view, who, place.ID, body))
	}
	return place, all
}

// TestPaymentConvergence: any order, duplicates and partitions of one set
// of events with payments give one state hash and one payment.
func TestPaymentConvergence(t *testing.T) {
	cases := 1500
	if testing.Short() {
		cases = 200
	}
	w := newWorld(t)
	rng := rand.New(rand.NewSource(20))
	states := map[PaymentState]int{}
	for c := 0; c < cases; c++ {
		place, all := genPayScenario(w, rng)
		ref := FoldOrder(all, w.fresh().CoopView(w.coop))
		want := ref.Hash()
		states[ref.PaymentState()]++
		for p := 0; p < 4; p++ {
			r := w.fresh()
			for _, e := range shuffled(rng, all, 0.3) {
				r.Apply(e)
			}
			if got, _ := r.OrderHash(place.ID); got != want {
				t.Fatalf("case %d perm %d: hash differs\nwant %+v\ngot  %+v", c, p, ref.Payment, w.order(r, place.ID).Payment)
			}
		}
		a, b := partitionHeal(w, rng, all, nil)
		ha, _ := a.OrderHash(place.ID)
		hb, _ := b.OrderHash(place.ID)
		if ha != want || hb != want {
			t.Fatalf("case %d: partition heal diverged", c)
		}
	}
	t.Logf("%d scenarios; final payment states %v", cases, states)
	for _, st := range []PaymentState{PayNone, PayPending, PayPaid, PayRefunded, PayFailed} {
		if states[st] == 0 {
			t.Fatalf("generator never reached payment state %s: %v", st, states)
		}
	}
}

func TestPaymentMethods(t *testing.T) {
	if !PaymentMethods(0).Offers(PayCash) || PaymentMethods(0).Offers(PayOnline) {
		t.Fatal("an empty set offers cash only")
	}
	if !(OfferCard | OfferOnline).Offers(PayOnline) || (OfferCard | OfferOnline).Offers(PayCash) {
		t.Fatal("bits")
	}
	if PaymentMethods(8).Valid() || !allOffers.Valid() {
		t.Fatal("valid")
	}
	for _, m := range []PaymentMethod{PayCash, PayCard, PayOnline} {
		var got PaymentMethod
		b, _ := m.MarshalText()
		if err := got.UnmarshalText(b); err != nil || got != m {
			t.Fatalf("%s: %v %v", m, got, err)
		}
	}
	var m PaymentMethod
	if m.UnmarshalText([]byte("cheque")) == nil {
		t.Fatal("cheque parsed")
	}
}

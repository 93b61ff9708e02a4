package market

import (
	"errors"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

func paidOrder(status crdt.OrderStatus, pay *crdt.Payment) *crdt.OrderState {
	s := &crdt.OrderState{ID: crdt.ID{7}, Status: status, Payment: pay}
	s.Place.Payment = crdt.PayOnline
	s.Place.Totals.TotalCents = 1950
	return s
}

func TestPaymentDuty(t *testing.T) {
	online := func(st crdt.PaymentState) *crdt.Payment {
		return &crdt.Payment{Method: crdt.PayOnline, State: st, AmountCents: 1950, Provider: "stripe", Ref: "pi_1"}
	}
	for _, c := range []struct {
		status crdt.OrderStatus
		pay    *crdt.Payment
		want   PayAction
	}{
		{crdt.StatusPlaced, nil, PayNothing},
		{crdt.StatusPlaced, online(crdt.PayPending), PayPoll},
		{crdt.StatusAccepted, online(crdt.PayAuthorised), PayPoll},
		{crdt.StatusAccepted, online(crdt.PayPaid), PayNothing},
		{crdt.StatusCancelled, online(crdt.PayPaid), PayRefund},
		{crdt.StatusRefused, online(crdt.PayAuthorised), PayRefund},
		{crdt.StatusCancelled, online(crdt.PayPending), PayVoid},
		{crdt.StatusCancelled, online(crdt.PayRefunded), PayNothing},
		{crdt.StatusCancelled, online(crdt.PayFailed), PayNothing},
		{crdt.StatusCancelled, &crdt.Payment{Method: crdt.PayCash, State: crdt.PayPaid}, PayNothing},
		{crdt.StatusDelivered, online(crdt.PayPaid), PayNothing},
	} {
		if got := PaymentDuty(paidOrder(c.status, c.pay)); got != c.want {
			t.Errorf("%s with %+v: %s, want %s", c.status, c.pay, got, c.want)
		}
	}
}

// TestPaymentUpdateRefusals: a provider's report for another payment or
// order, or for another amount or currency, records nothing.
func TestPaymentUpdateRefusals(t *testing.T) {
	pending := &crdt.Payment{Method: crdt.PayOnline, State: crdt.PayPending, AmountCents: 1950, Provider: "stripe", Ref: "pi_1"}
	s := paidOrder(crdt.StatusAccepted, pending)
	ok := ProviderStatus{Ref: "pi_1", State: crdt.PayPaid, AmountCents: 1950, Currency: "eur", Order: s.ID.String()}
	for _, c := range []struct {
		name string
		st   func(ProviderStatus) ProviderStatus
		want error
	}{
		{"another ref", func(p ProviderStatus) ProviderStatus { p.Ref = "pi_2"; return p }, ErrPaymentMismatch},
		{"another order", func(p ProviderStatus) ProviderStatus { p.Order = crdt.ID{8}.String(); return p }, ErrPaymentMismatch},
		{"amount below", func(p ProviderStatus) ProviderStatus { p.AmountCents = 1949; return p }, ErrAmountMismatch},
		{"amount above", func(p ProviderStatus) ProviderStatus { p.AmountCents = 1_000_000; return p }, ErrAmountMismatch},
		{"currency", func(p ProviderStatus) ProviderStatus { p.Currency = "usd"; return p }, ErrAmountMismatch},
		{"authorised for less", func(p ProviderStatus) ProviderStatus { p.State, p.AmountCents = crdt.PayAuthorised, 10; return p }, ErrAmountMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, changed, err := PaymentUpdate(s, "EUR", c.st(ok))
			if !errors.Is(err, c.want) || changed || got != nil {
				t.Fatalf("got %+v %v %v, want %v", got, changed, err, c.want)
			}
			if Code(err) == "" {
				t.Fatal("no code")
			}
		})
	}
	got, changed, err := PaymentUpdate(s, "EUR", ok)
	if err != nil || !changed || got.State != crdt.PayPaid || got.AmountCents != 1950 || got.Ref != "pi_1" {
		t.Fatalf("paid: %+v %v %v", got, changed, err)
	}
	if _, changed, err := PaymentUpdate(s, "EUR", ProviderStatus{Ref: "pi_1", State: crdt.PayPending}); changed || err != nil {
		t.Fatalf("still pending: %v %v", changed, err)
	}
	got, changed, err = PaymentUpdate(s, "EUR", ProviderStatus{Ref: "pi_1", State: crdt.PayFailed, Reason: "card_declined"})
	if err != nil || !changed || got.State != crdt.PayFailed || got.Reason != "card_declined" || got.AmountCents != 0 {
		t.Fatalf("declined: %+v %v %v", got, changed, err)
	}
	if _, _, err := PaymentUpdate(paidOrder(crdt.StatusAccepted, nil), "EUR", ok); !errors.Is(err, ErrPaymentMismatch) {
		t.Fatalf("no payment: %v", err)
	}
}

func TestCheckPayment(t *testing.T) {
	for _, c := range []struct {
		m       crdt.PaymentMethod
		offered crdt.PaymentMethods
		ok      bool
	}{
		{crdt.PayUnstated, 0, true},
		{crdt.PayCash, 0, true},
		{crdt.PayOnline, 0, false},
		{crdt.PayOnline, crdt.OfferOnline, true},
		{crdt.PayUnstated, crdt.OfferOnline, false},
		{crdt.PayCard, crdt.OfferCash | crdt.OfferOnline, false},
		{9, crdt.OfferCash, false},
	} {
		err := checkPayment(c.m, c.offered)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrPaymentNotOffered)) {
			t.Errorf("%d offered %d: %v", c.m, c.offered, err)
		}
	}
}

func TestPollDue(t *testing.T) {
	opened := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	p := &crdt.Payment{Method: crdt.PayOnline, State: crdt.PayPending, At: opened.UnixMilli()}
	for _, c := range []struct {
		name      string
		now, last time.Duration // after opened; last < 0: never polled
		want      PollVerdict
	}{
		{"never polled", time.Second, -1, PollNow},
		{"fast phase, polled 5 s ago", time.Minute, 55 * time.Second, PollNow},
		{"slow phase, polled 10 s ago", 10 * time.Minute, 10*time.Minute - 10*time.Second, PollLater},
		{"slow phase, polled 30 s ago", 10 * time.Minute, 10*time.Minute - 30*time.Second, PollNow},
		{"slow phase, never polled (a restart)", 10 * time.Minute, -1, PollNow},
		{"a day and a minute", 24*time.Hour + time.Minute, 24 * time.Hour, PollExpired},
	} {
		var last time.Time
		if c.last >= 0 {
			last = opened.Add(c.last)
		}
		if got := PollDue(p, opened.Add(c.now), last); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

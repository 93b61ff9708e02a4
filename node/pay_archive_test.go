package node

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/protocol"
)

// flakyProvider refuses every refund until it is told to work, then
// counts them: a provider (or a network) that is down for a while.
type flakyProvider struct {
	fakeProvider
	mu      sync.Mutex
	up      bool
	refunds []string
}

func (p *flakyProvider) setUp() { p.mu.Lock(); p.up = true; p.mu.Unlock() }

func (p *flakyProvider) Refund(_ context.Context, ref string, _ int64, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.up {
		return ErrPaymentProvider
	}
	p.refunds = append(p.refunds, ref+" "+key)
	return nil
}

func (p *flakyProvider) made() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.refunds...)
}

// paidCancelled is an archWorld order paid online (pending, then paid by
// the restaurant), accepted, then cancelled by the restaurant: a refund
// is owed.
func (w *archWorld) paidCancelled() archOrder {
	w.seq++
	body := samplePlace(w.pub("resto"))
	body.Note, body.Payment = "paid "+string(rune('a'+w.seq)), crdt.PayOnline
	var o archOrder
	prev := []crdt.ID(nil)
	add := func(d protocol.Draft) {
		d.Coop, d.Wall, d.Parents, d.Lamport = w.coop, w.w0+int64(len(o.raws)), prev, uint64(len(o.raws)+1)
		if len(o.raws) > 0 {
			d.Scope = o.id
		}
		who := "resto"
		if d.Kind == crdt.KindOrderPlace {
			who = "cust"
		}
		e, raw, err := protocol.Seal(nodeKey(who), d)
		must(w.t, err)
		if len(o.raws) == 0 {
			o.id = e.ID
		}
		o.ids, o.raws, prev = append(o.ids, e.ID), append(o.raws, raw), []crdt.ID{e.ID}
	}
	pay := func(st crdt.PaymentState) *crdt.OrderPayment {
		return &crdt.OrderPayment{State: st, Method: crdt.PayOnline, AmountCents: body.Totals.TotalCents, Provider: "fake", Ref: "pi_archive"}
	}
	add(protocol.Draft{Kind: crdt.KindOrderPlace, Body: &body})
	add(protocol.Draft{Kind: crdt.KindOrderPayment, Body: pay(crdt.PayPending)})
	add(protocol.Draft{Kind: crdt.KindOrderPayment, Body: pay(crdt.PayPaid)})
	add(protocol.Draft{Kind: crdt.KindOrderAccept, Body: &crdt.OrderAccept{PrepMinutes: 10}})
	add(protocol.Draft{Kind: crdt.KindOrderCancel, Body: &crdt.OrderCancel{Reason: crdt.ReasonSoldOut}})
	return o
}

// TestRefundSurvivesArchival (issue 17, weakness 4): an order cancelled
// after its online payment, whose refund could not be made for longer
// than the archive horizon (the provider down, or the restaurant's node
// away), is not archived, by the restaurant nor by a courier's node: once
// the provider answers, the refund duty is done and recorded; a week
// after the refund the order is archived, the refunded state in the cold
// store (SPEC.md §4.5, §20.3.4).
func TestRefundSurvivesArchival(t *testing.T) {
	t.Cleanup(leakCheck(t))
	clk := newFakeClock()
	w := newArchWorld(t, clk.Now().UnixMilli())
	o := w.paidCancelled()
	prov := &flakyProvider{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resto, err := New(ctx, WithKey(nodeKey("resto")), WithRole(RoleRestaurant), WithClock(clk), WithCoop(w.coop), WithStore(OpenMemory()),
		WithListen("/ip4/127.0.0.1/tcp/0"), WithSyncInterval(-1), WithSyncOnConnect(false), WithArchiveInterval(-1), WithPaymentProvider(prov))
	must(t, err)
	t.Cleanup(func() { _ = resto.Close() })
	feed(t, resto, srcSync, append(append([][]byte(nil), w.base...), o.raws...)...)
	other := archNode(t, clk, "courier", RoleCourier, w, nil, o)
	s, err := resto.Order(ctx, o.id)
	must(t, err)
	if s.Status != crdt.StatusCancelled || s.PaymentState() != crdt.PayPaid || market.PaymentDuty(s) != market.PayRefund {
		t.Fatalf("order %s, payment %s, duty %s", s.Status, s.PaymentState(), market.PaymentDuty(s))
	}
	if n, err := resto.PollPayments(ctx); err != nil || n != 1 || len(prov.made()) != 0 {
		t.Fatalf("a refund while the provider is down: %d jobs, %v, %d refunds", n, err, len(prov.made()))
	}
	// past the 7-day horizon: both nodes keep the order live
	for _, n := range []*Node{resto, other} {
		archiveAt(t, n, clk, pastHorizon(o.last(w)))
		if _, err := n.Order(ctx, o.id); err != nil || n.Stats(ctx).Archived != 0 {
			t.Fatalf("a refund owed, archived past the horizon: %v", err)
		}
	}
	// the provider answers: the duty is done and recorded (by this call,
	// or by the node's payer if its tick comes first), once
	prov.setUp()
	if _, err := resto.PollPayments(ctx); err != nil {
		t.Fatal(err)
	}
	s, err = resto.WaitOrder(ctx, o.id, func(s *crdt.OrderState) bool { return s.PaymentState() == crdt.PayRefunded })
	if err != nil || s.Payment.Reason != "cancelled" || len(s.Rejected) != 0 {
		t.Fatalf("after the refund: %+v, %v", s, err)
	}
	if n, err := resto.PollPayments(ctx); err != nil || n != 0 || len(prov.made()) != 1 || prov.made()[0] != "pi_archive refund-"+o.id.String() {
		t.Fatalf("the refund after the horizon: then %d jobs, %v, refunds %v", n, err, prov.made())
	}
	refundAt := s.Payment.At
	// a week after the refund, the order is archived; its cold copy is refunded
	archiveAt(t, resto, clk, pastHorizon(refundAt))
	if resto.Stats(ctx).Archived != 1 {
		t.Fatal("the refunded order was not archived a week later")
	}
	var live bool
	must(t, resto.do(ctx, func() error { _, live = resto.replica.OrderView(o.id); return nil }))
	if cold, err := resto.Order(ctx, o.id); err != nil || cold.PaymentState() != crdt.PayRefunded || live {
		t.Fatalf("the cold copy: %v, %v; still live: %v", cold.PaymentState(), err, live)
	}
	// a node that never saw the refund lets it go only after the
	// retention period too
	archiveAt(t, other, clk, o.last(w)+crdt.ArchiveHorizonMs+crdt.RetentionMs+archiveGrace.Milliseconds()+1)
	if other.Stats(ctx).Archived != 1 {
		t.Fatal("the unsettled order was never archived")
	}
}

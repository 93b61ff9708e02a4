package crdt

import "testing"

// Tests of the archival decision and of the tombstones (archive.go,
// SPEC.md §4.5).

// finishedOrder places an order and has the restaurant refuse it; it
// returns the order's events.
func finishedOrder(w *world, r *Replica) []*Event {
	p := w.place("cust", FulfilDelivery)
	w.mustStore(r, p)
	ref, out := w.act(r, "resto", p.ID, &OrderRefuse{Reason: ReasonSoldOut})
	if out.Status != Stored || w.order(r, p.ID).Status != StatusRefused {
		w.t.Fatalf("refuse: %s, status %s", out.Status, w.order(r, p.ID).Status)
	}
	return []*Event{p, ref}
}

// TestArchiveDue: only finished orders idle past the horizon (plus the
// grace) are due; open ones never, however old; Keep follows the parties.
func TestArchiveDue(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	done := finishedOrder(w, r)
	open := w.place("cust2", FulfilDelivery)
	w.mustStore(r, open)
	last := done[1].Wall
	if got := r.LastActivity(done[0].ID); got != last {
		t.Fatalf("last activity %d, want %d", got, last)
	}
	const grace = 3_600_000
	for _, c := range []struct {
		name string
		now  int64
		due  int
	}{
		{"at the horizon", last + ArchiveHorizonMs, 0},
		{"past the horizon, within the grace", last + ArchiveHorizonMs + grace, 0},
		{"past the horizon and the grace", last + ArchiveHorizonMs + grace + 1, 1},
		{"a year on", last + 365*24*3600*1000, 1},
	} {
		due := r.ArchiveDue(c.now, grace, func(s *OrderState) bool { return Keeps(s, w.k("resto")) })
		if len(due) != c.due {
			t.Fatalf("%s: %d due, want %d", c.name, len(due), c.due)
		}
		for _, a := range due {
			if a.Order != done[0].ID || !a.Keep || a.Last != last || len(a.Events) != 2 || a.State.Status != StatusRefused {
				t.Fatalf("%s: %+v", c.name, a)
			}
		}
	}
	s := w.order(r, done[0].ID)
	if !Keeps(s, w.k("cust")) || !Keeps(s, w.k("resto")) || Keeps(s, w.k("c1")) || Keeps(s, w.k("stranger")) {
		t.Fatal("Keeps: parties keep, others do not")
	}
	if PastHorizon(w.order(r, open.ID), open.Wall, open.Wall+10*ArchiveHorizonMs) {
		t.Fatal("an open order is never past the horizon (§4.5 rule 6)")
	}
}

// TestArchiveTombstone: an archived order leaves the live set; none of its
// events, the place included, is stored or parked again, whatever order
// they come in (§4.5 rule 4); other orders are untouched; a forgotten
// tombstone lets the order in again.
func TestArchiveTombstone(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	evs := finishedOrder(w, r)
	other := w.place("cust2", FulfilDelivery)
	w.mustStore(r, other)
	oid := evs[0].ID
	// an event pending on the order (its parent missing) goes with it
	ghost := w.mk(w.k("resto"), KindOrderRefuse, w.coop, oid, []ID{{0xee}}, 9, &OrderRefuse{Reason: ReasonSoldOut})
	if out := r.Apply(ghost); out.Status != Pending {
		t.Fatalf("ghost: %s", out.Status)
	}
	liveBefore := r.Len()
	r.Archive(map[ID]int64{oid: 99})
	if _, ok := r.Order(oid); ok || r.Has(evs[0].ID) || r.Has(evs[1].ID) || r.Known(ghost.ID) {
		t.Fatal("the archived order is still held")
	}
	if r.Len() != liveBefore-2 || r.PendingLen() != 0 || !r.Archived(oid) || r.Tombstones() != 1 {
		t.Fatalf("live %d (was %d), pending %d, archived %v", r.Len(), liveBefore, r.PendingLen(), r.Archived(oid))
	}
	if len(r.OpenOrderIDs(w.coop)) != 1 || len(r.Orders(w.coop, nil)) != 1 {
		t.Fatal("the other order must stay live")
	}
	for _, order := range [][]*Event{{evs[1], evs[0], ghost}, {evs[0], evs[1], ghost}} {
		for _, e := range order {
			if st, _ := r.Precheck(e); st != Duplicate {
				t.Fatalf("precheck %s: %s, want duplicate", e.Kind, st)
			}
			if out := r.Apply(e); out.Status != Duplicate {
				t.Fatalf("apply %s: %s, want duplicate", e.Kind, out.Status)
			}
		}
	}
	if r.Len() != liveBefore-2 || r.PendingLen() != 0 {
		t.Fatal("an archived order's event was stored or parked")
	}
	if got := r.ExpiredTombstones(98); len(got) != 0 {
		t.Fatalf("expired before its time: %v", got)
	}
	if got := r.ExpiredTombstones(99); len(got) != 1 || got[0] != oid {
		t.Fatalf("expired tombstones %v", got)
	}
	r.ForgetTombstones(oid)
	w.mustStore(r, evs[0])
	w.mustStore(r, evs[1])
	if w.order(r, oid).Status != StatusRefused {
		t.Fatal("refold after the tombstone was forgotten")
	}
}

// TestTombstoneTime: the retention period after the horizon, and at least
// a day after archiving.
func TestTombstoneTime(t *testing.T) {
	const day = 24 * 3600 * 1000
	last := int64(1_790_000_000_000)
	for _, c := range []struct{ now, want int64 }{
		{last + ArchiveHorizonMs + 3_600_000, last + ArchiveHorizonMs + RetentionMs},
		{last + 365*day, last + 366*day},
	} {
		if got := TombstoneTime(last, c.now); got != c.want {
			t.Fatalf("archived at %d: until %d, want %d", c.now, got, c.want)
		}
	}
}

// TestPastHorizonWaitsForMoney (issue 17, weakness 4): a finished order
// whose online payment is unsettled (a refund owed, or still open at the
// provider) is not past the horizon until the retention period has passed
// too, so no node archives it before its restaurant's node refunds it;
// settled, cash or card payments keep the 7-day horizon (SPEC.md §4.5).
func TestPastHorizonWaitsForMoney(t *testing.T) {
	const last = int64(1_700_000_000_000)
	order := func(st OrderStatus, m PaymentMethod, p PaymentState) *OrderState {
		s := &OrderState{Status: st}
		s.Place.Payment = m
		if p != PayNone {
			s.Payment = &Payment{Method: m, State: p, AmountCents: 1450}
		}
		return s
	}
	week, late := last+ArchiveHorizonMs+1, last+ArchiveHorizonMs+RetentionMs+1
	for _, c := range []struct {
		name  string
		s     *OrderState
		owed  bool
		first int64 // the first instant past the horizon
	}{
		{"cancelled, paid online: a refund owed", order(StatusCancelled, PayOnline, PayPaid), true, late},
		{"refused, paid online: a refund owed", order(StatusRefused, PayOnline, PayPaid), true, late},
		{"cancelled, authorised: a release owed", order(StatusCancelled, PayOnline, PayAuthorised), true, late},
		{"cancelled, pending: a cancellation owed", order(StatusCancelled, PayOnline, PayPending), true, late},
		{"delivered, still authorised", order(StatusDelivered, PayOnline, PayAuthorised), true, late},
		{"cancelled, refunded", order(StatusCancelled, PayOnline, PayRefunded), false, week},
		{"cancelled, failed", order(StatusCancelled, PayOnline, PayFailed), false, week},
		{"delivered, paid online", order(StatusDelivered, PayOnline, PayPaid), false, week},
		{"cancelled, paid in cash (refunded by hand)", order(StatusCancelled, PayCash, PayPaid), false, week},
		{"cancelled, no payment", order(StatusCancelled, PayUnstated, PayNone), false, week},
	} {
		if c.s.MoneyOwed() != c.owed {
			t.Errorf("%s: MoneyOwed %v", c.name, !c.owed)
		}
		if PastHorizon(c.s, last, c.first-1) || !PastHorizon(c.s, last, c.first) {
			t.Errorf("%s: not first past the horizon at last + %d ms", c.name, c.first-last)
		}
	}
	if open := order(StatusAccepted, PayOnline, PayPaid); PastHorizon(open, last, late+RetentionMs) {
		t.Error("an open order is past the horizon")
	}
}
